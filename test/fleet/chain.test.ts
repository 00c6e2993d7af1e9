// The chain across hosts (real engines in namespaces, a Consul stand-in cluster, real nginx, real requests):
// a compose project of web instances on every host, registrator on every host against its own agent, the renderer
// with nginx on an edge host and f5-sync on two hosts seeing every host's instances; a host killed -> its instances
// leave nginx and the pool within the detection window + one render, and return when it comes back; a graceful
// leave removes them at once; the leader lock of a killed host moves after detection + lock-delay.

import { expect } from 'chai';
import { waitFor } from '../../packages/core/src';
import { ensureBusyboxImage } from '../support/docker-images';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startBigipStandin, type BigipStandin } from '../../packages/bigip-standin/src';
import { F5_OPS_PORT, Fleet, startF5SyncOn } from '../support/fleet/fleet';
import { startEdge, type Edge } from '../support/fleet/edge';

const DETECTION_MS = 2_000;
const SITE = 'web';
const LOCK_DELAY_MS = 3_000;
const POOL = '/Common/fleet-web';
const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;

describe('the chain across hosts @integration', function () {
  this.timeout(240_000);
  let fleet: Fleet;
  let edge: Edge;
  let bigip: BigipStandin;
  let caDir: string;
  /** The container host names (what each instance answers) per host. */
  const answers: Record<string, string[]> = {};
  const f5Metrics: Record<string, number> = {};

  const hostOf = (member: string) => member.slice(0, member.lastIndexOf(':'));
  /** Host addresses with an instance in the BIG-IP pool / in the rendered upstream. */
  function hostsInPool(): string[] {
    const pool = bigip.snapshot().pools.find((p) => p.fullPath === POOL);
    return [...new Set(((pool?.members ?? []) as Array<{ name: string }>).map((m) => hostOf(m.name)))].sort();
  }
  /** The Status of a node's serfHealth check, as the Consul server reports it. */
  async function serfHealth(node: string): Promise<string | undefined> {
    const checks = (await (await fetch(`${fleet.consulUrl}/v1/health/node/${node}`)).json()) as Array<{ CheckID: string; Status: string }>;
    return checks.find((c) => c.CheckID === 'serfHealth')?.Status;
  }
  const hostsInNginx = () => [...new Set(edge.upstreamServers().map(hostOf))].sort();
  const address = (name: string) => fleet.host(name).address;

  /** Which f5-sync processes say they hold the leader lock now (a dead host's says nothing). */
  async function leaders(): Promise<string[]> {
    const holding: string[] = [];
    for (const [host, port] of Object.entries(f5Metrics)) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.text()).catch(() => '');
      if (/^consul_sidecars_leader 1$/m.test(text)) holding.push(host);
    }
    return holding;
  }

  /** Names answering through nginx over `count` requests. */
  async function reached(count: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const answer = await edge.get(SITE, 2_000).catch(() => undefined);
      if (answer?.status === 200) seen.add(answer.body.trim());
    }
    return seen;
  }

  before(async () => {
    const image = ensureBusyboxImage();
    fleet = await Fleet.start({ id: 'fch', index: 5, workers: ['h1', 'h2', 'h3'], others: ['edge'], detectionMs: DETECTION_MS, images: [image] });
    for (const host of fleet.workers) {
      fleet.composeWeb(host, 1, { image, tags: ['fleet'] });
      answers[host.name] = host.docker(['ps', '-q']).split('\n');
      fleet.startRegistrator(host);
    }
    edge = await startEdge(fleet, fleet.host('edge'), { siteTag: 'fleet' });
    caDir = mkdtempSync(join(tmpdir(), 'fleet-bigip-'));
    bigip = await startBigipStandin({ port: 0, user: 'admin', password: PASSWORD, tls: true, caOut: join(caDir, 'ca.pem') });
    for (const name of ['h1', 'h2']) {
      const host = fleet.host(name);
      await host.importPort(bigip.port);
      startF5SyncOn(fleet, host, { bigipPort: bigip.port, caFile: join(caDir, 'ca.pem'), password: PASSWORD, pools: [{ consulService: 'web', name: 'fleet-web' }], lockDelay: `${LOCK_DELAY_MS}ms` });
      f5Metrics[name] = (await host.expose(F5_OPS_PORT)).port;
    }
  });

  after(async () => {
    if (bigip) await bigip.stop();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
    if (!fleet) return;
    await fleet.stop();
    expect(fleet.bed.leftovers(), 'the fleet left something behind').to.deep.equal([]);
  });

  it('requests through the edge nginx reach the instances on every host', async () => {
    await waitFor(() => edge.upstreamServers().length === 3, { timeoutMs: 30_000, message: 'three upstream servers rendered' });
    expect(hostsInNginx()).to.deep.equal(fleet.workers.map((h) => h.address).sort());
    const seen = await waitFor(async () => {
      const names = await reached(12);
      return names.size === 3 ? names : undefined;
    }, { timeoutMs: 15_000, message: 'all three hosts answered through nginx' });
    expect([...seen].sort()).to.deep.equal(Object.values(answers).flat().sort());
  });

  it("the BIG-IP pool, kept by f5-sync from another host's agent, holds every host's instance", async () => {
    await waitFor(() => hostsInPool().length === 3, { timeoutMs: 30_000, message: 'every host in the BIG-IP pool' });
    expect(hostsInPool()).to.deep.equal(fleet.workers.map((h) => h.address).sort());
    expect(await leaders()).to.have.length(1);
  });

  it('a killed host leaves nginx within the detection window + one render, and returns when it comes back', async () => {
    const h3 = fleet.host('h3');
    // From a settled start: h3's instance in nginx and passing in Consul (a loaded machine can flap a 1 s check).
    await waitFor(async () => hostsInNginx().includes(address('h3')) && (await serfHealth('h3')) === 'passing', { timeoutMs: 20_000, message: 'h3 in nginx and alive in Consul before the kill' });
    await h3.kill();
    await waitFor(() => !hostsInNginx().includes(address('h3')), { timeoutMs: DETECTION_MS + 8_000, message: 'h3 out of the rendered upstream' });
    // Consul knows why: the dead agent's node turns critical within the detection window (plus a heartbeat).
    await waitFor(async () => (await serfHealth('h3')) === 'critical', { timeoutMs: DETECTION_MS + 2_000, message: "h3's serfHealth critical" });
    const names = await reached(10);
    expect(answers.h3.some((name) => names.has(name))).to.equal(false);
    expect(names.size).to.equal(2);
    await waitFor(() => !hostsInPool().includes(address('h3')), { timeoutMs: DETECTION_MS + 8_000, message: 'h3 out of the BIG-IP pool' });

    await h3.revive();
    await waitFor(() => hostsInNginx().includes(address('h3')), { timeoutMs: 40_000, message: 'h3 back in the rendered upstream' });
    await waitFor(async () => [...(await reached(9))].some((name) => answers.h3.includes(name)), { timeoutMs: 10_000, message: 'h3 answers through nginx again' });
    await waitFor(() => hostsInPool().includes(address('h3')), { timeoutMs: 20_000, message: 'h3 back in the BIG-IP pool' });
  });

  it('a cut link is a dead host to Consul: out after the detection window, back when the link returns', async () => {
    const h2 = fleet.host('h2');
    h2.cutLink();
    try {
      await waitFor(() => !hostsInNginx().includes(address('h2')), { timeoutMs: DETECTION_MS + 8_000, message: 'h2 out of the rendered upstream' });
    } finally {
      h2.restoreLink();
    }
    await waitFor(() => hostsInNginx().includes(address('h2')), { timeoutMs: 30_000, message: 'h2 back in the rendered upstream' });
  });

  it('a graceful leave removes the host at once (no detection window), and a new agent brings it back', async () => {
    const h1 = fleet.host('h1');
    const agent = await h1.expose(8500);
    const leftAt = Date.now();
    const response = await fetch(`http://127.0.0.1:${agent.port}/v1/agent/leave`, { method: 'PUT' });
    expect(response.status).to.equal(200);
    await waitFor(() => !hostsInNginx().includes(address('h1')), { timeoutMs: DETECTION_MS, message: 'h1 out of the rendered upstream at once' });
    expect(Date.now() - leftAt).to.be.below(DETECTION_MS);
    // f5-sync drains (1 s) and removes it; if the leader was h1's own f5-sync (its agent just left), the lock moves
    // first (lock-delay), so this may take a little longer.
    await waitFor(() => !hostsInPool().includes(address('h1')), { timeoutMs: LOCK_DELAY_MS + 6_000, message: 'h1 out of the BIG-IP pool' });
    const members = (await (await fetch(`${fleet.consulUrl}/v1/agent/members`)).json()) as Array<{ Name: string; Status: number }>;
    expect(members.find((m) => m.Name === 'h1')?.Status, 'h1 left (3)').to.equal(3);
    await agent.close();
    h1.restartService('consul-agent');
    await fleet.agentAnswers(h1);
    await waitFor(() => hostsInNginx().includes(address('h1')), { timeoutMs: 30_000, message: 'h1 back after its agent rejoined' });
    await waitFor(() => hostsInPool().includes(address('h1')), { timeoutMs: 30_000, message: 'h1 back in the BIG-IP pool' });
  });

  it("the leader lock of a killed host's f5-sync moves to the other host after detection + lock-delay, never earlier, never two", async () => {
    const [leader] = await waitFor(async () => {
      const now = await leaders();
      return now.length === 1 ? now : undefined;
    }, { timeoutMs: 15_000, message: 'one f5-sync leader' });
    const other = leader === 'h1' ? 'h2' : 'h1';
    const killedAt = Date.now();
    await fleet.host(leader).kill();
    let tookOverAfterMs = 0;
    let samples = 0;
    for (const deadline = Date.now() + DETECTION_MS + LOCK_DELAY_MS + 15_000; Date.now() < deadline; samples++) {
      const now = await leaders();
      expect(now.length, `two leaders at once: ${now.join(', ')}`).to.be.at.most(1);
      if (now[0] === other) {
        tookOverAfterMs = Date.now() - killedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(tookOverAfterMs, 'the other host took over').to.be.above(0);
    expect(tookOverAfterMs, 'not before the detection window and the lock-delay ran out').to.be.at.least(DETECTION_MS + LOCK_DELAY_MS - 500);
    expect(samples).to.be.above(10);
    // The new leader keeps the pool in step with what is left: the killed host's instance is removed.
    const gone = address(leader);
    await waitFor(() => !hostsInPool().includes(gone), { timeoutMs: 15_000, message: `${leader}'s instance out of the pool` });
    await fleet.host(leader).revive();
  });
});
