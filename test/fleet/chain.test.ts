// The chain across hosts (real engines in namespaces, a Consul stand-in cluster, real nginx, real requests):
// registrator on every host against its own agent, the renderer with nginx on an edge host seeing every host's
// instances; a host killed -> its instances leave nginx within the detection window + one render, and return when
// it comes back; a graceful leave removes them at once.

import { expect } from 'chai';
import { waitFor } from '../../packages/core/src';
import { ensureBusyboxImage } from '../support/docker-images';
import { Fleet } from '../support/fleet/fleet';
import { startEdge, type Edge } from '../support/fleet/edge';

const DETECTION_MS = 2_000;
const SITE = 'web';
const WEB_PORT = 8080;

describe('the chain across hosts @integration', function () {
  this.timeout(240_000);
  let fleet: Fleet;
  let edge: Edge;
  const addresses: Record<string, string> = {};

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
      addresses[host.name] = `${host.address}:${WEB_PORT}`;
      fleet.runWeb(host, `web-${host.name}`, WEB_PORT, { image, tags: ['fleet'] });
      fleet.startRegistrator(host);
    }
    edge = await startEdge(fleet, fleet.host('edge'), { siteTag: 'fleet' });
  });

  after(async () => {
    if (!fleet) return;
    await fleet.stop();
    expect(fleet.bed.leftovers(), 'the fleet left something behind').to.deep.equal([]);
  });

  it('requests through the edge nginx reach the instances on every host', async () => {
    await waitFor(() => edge.upstreamServers().length === 3, { timeoutMs: 30_000, message: 'three upstream servers rendered' });
    expect(edge.upstreamServers()).to.deep.equal(Object.values(addresses).sort());
    const seen = await waitFor(async () => {
      const names = await reached(12);
      return names.size === 3 ? names : undefined;
    }, { timeoutMs: 15_000, message: 'all three hosts answered through nginx' });
    expect([...seen].sort()).to.deep.equal(['web-h1', 'web-h2', 'web-h3']);
  });

  it('a killed host leaves nginx within the detection window + one render, and returns when it comes back', async () => {
    const h3 = fleet.host('h3');
    const killedAt = Date.now();
    await h3.kill();
    await waitFor(() => !edge.upstreamServers().includes(addresses.h3), { timeoutMs: DETECTION_MS + 8_000, message: 'h3 out of the rendered upstream' });
    const outAfterMs = Date.now() - killedAt;
    expect(outAfterMs, 'not before Consul could know').to.be.at.least(DETECTION_MS - 500);
    const names = await reached(10);
    expect(names.has('web-h3')).to.equal(false);
    expect(names.size).to.equal(2);

    await h3.revive();
    await waitFor(() => edge.upstreamServers().includes(addresses.h3), { timeoutMs: 40_000, message: 'h3 back in the rendered upstream' });
    await waitFor(async () => (await reached(9)).has('web-h3'), { timeoutMs: 10_000, message: 'h3 answers through nginx again' });
  });

  it('a cut link is a dead host to Consul: out after the detection window, back when the link returns', async () => {
    const h2 = fleet.host('h2');
    h2.cutLink();
    try {
      await waitFor(() => !edge.upstreamServers().includes(addresses.h2), { timeoutMs: DETECTION_MS + 8_000, message: 'h2 out of the rendered upstream' });
    } finally {
      h2.restoreLink();
    }
    await waitFor(() => edge.upstreamServers().includes(addresses.h2), { timeoutMs: 30_000, message: 'h2 back in the rendered upstream' });
  });

  it('a graceful leave removes the host at once (no detection window), and a new agent brings it back', async () => {
    const h1 = fleet.host('h1');
    const agent = await h1.expose(8500);
    const leftAt = Date.now();
    const response = await fetch(`http://127.0.0.1:${agent.port}/v1/agent/leave`, { method: 'PUT' });
    expect(response.status).to.equal(200);
    await waitFor(() => !edge.upstreamServers().includes(addresses.h1), { timeoutMs: DETECTION_MS, message: 'h1 out of the rendered upstream at once' });
    expect(Date.now() - leftAt).to.be.below(DETECTION_MS);
    const members = (await (await fetch(`${fleet.consulUrl}/v1/agent/members`)).json()) as Array<{ Name: string; Status: number }>;
    expect(members.find((m) => m.Name === 'h1')?.Status, 'h1 left (3)').to.equal(3);
    await agent.close();
    h1.restartService('consul-agent');
    await fleet.agentAnswers(h1);
    await waitFor(() => edge.upstreamServers().includes(addresses.h1), { timeoutMs: 30_000, message: 'h1 back after its agent rejoined' });
  });
});
