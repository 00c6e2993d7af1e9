// #16 item 5: a test and a live cluster side by side, the same images, daemons and compose project with different
// env (each its own Consul cluster, its own BIG-IP partition on one shared BIG-IP): a node of one never sees or
// changes the other's services, KV or pools, while its own cluster changes (scaled up, a role promoted, scaled down).

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../packages/core/src';
import { startBigipStandin, type BigipStandin } from '../../packages/bigip-standin/src';
import { ensureBusyboxImage } from '../support/docker-images';
import { AGENT_PORT, BIN, Fleet, startF5SyncOn } from '../support/fleet/fleet';
import { composeOn, type WebProject } from '../support/fleet/web-project';

const DETECTION_MS = 2_000;
const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
const ENVS = ['test', 'live'] as const;
type Env = (typeof ENVS)[number];

interface CatalogEntry {
  Node: { Node: string; Address: string };
  Service: { ID: string; Address: string; Port: number };
}

describe('#16 test and live clusters side by side @integration', function () {
  this.timeout(240_000);
  const fleets = {} as Record<Env, Fleet>;
  const projects = {} as Record<Env, WebProject>;
  let bigip: BigipStandin;
  let caDir: string;

  const instances = async (env: Env): Promise<CatalogEntry[]> => (await (await fetch(`${fleets[env].consulUrl}/v1/health/service/web`)).json()) as CatalogEntry[];
  const kvKeys = async (env: Env): Promise<string[]> => {
    const reply = await fetch(`${fleets[env].consulUrl}/v1/kv/?keys`);
    return reply.status === 404 ? [] : ((await reply.json()) as string[]);
  };
  /** Member addresses of the web pool in one partition. */
  const poolAddresses = (env: Env): string[] => {
    const pool = bigip.snapshot().pools.find((p) => p.fullPath === `/${env}/web`);
    return ((pool?.members ?? []) as Array<{ name: string }>).map((m) => m.name.slice(0, m.name.lastIndexOf(':'))).sort();
  };
  /** BIG-IP calls that wrote into a partition (anything but GET), counted from the stand-in's request log. */
  const writesInto = (env: Env): number => bigip.requestLog().filter((r) => r.method !== 'GET' && (r.path.includes(`~${env}~`) || r.path.includes(`/${env}/`))).length;
  const subnetOf = (env: Env) => fleets[env].bed.layout.subnet.replace(/\.0$/, '.');

  before(async () => {
    const image = ensureBusyboxImage();
    caDir = mkdtempSync(join(tmpdir(), 'fleet-testlive-'));
    bigip = await startBigipStandin({ port: 0, user: 'admin', password: PASSWORD, tls: true, caOut: join(caDir, 'ca.pem'), partitions: ['Common', ...ENVS] });
    // Two clusters, each a Consul server host, a worker host and a host for f5-sync, in beds of their own.
    const [test, live] = await Promise.all([
      Fleet.start({ id: 'fat', index: 21, workers: ['h1'], others: ['f5'], detectionMs: DETECTION_MS, images: [image], datacenter: 'test' }),
      Fleet.start({ id: 'fal', index: 22, workers: ['h1'], others: ['f5'], detectionMs: DETECTION_MS, images: [image], datacenter: 'live' }),
    ]);
    Object.assign(fleets, { test, live });
    for (const env of ENVS) {
      const fleet = fleets[env];
      const host = fleet.host('h1');
      // The same compose project, image and daemons; only the env differs (the agent each reads, the partition).
      projects[env] = fleet.composeWeb(host, 2, { image, tags: ['web'] });
      fleet.startRegistrator(host);
      const f5 = fleet.host('f5');
      await f5.importPort(bigip.port);
      startF5SyncOn(fleet, f5, {
        bigipPort: bigip.port, caFile: join(caDir, 'ca.pem'), password: PASSWORD, lockDelay: '1s',
        pools: [{ consulService: 'web', name: 'web' }], config: { partition: env },
      });
    }
    for (const env of ENVS) {
      await waitFor(async () => (await instances(env)).length === 2, { timeoutMs: 60_000, message: `two web instances in the ${env} cluster` });
      await waitFor(() => poolAddresses(env).length === 2, { timeoutMs: 30_000, message: `two members in /${env}/web` });
    }
  });

  after(async () => {
    if (bigip) await bigip.stop();
    if (caDir) rmSync(caDir, { recursive: true, force: true });
    for (const env of ENVS) {
      if (!fleets[env]) continue;
      await fleets[env].stop();
      expect(fleets[env].bed.leftovers()).to.deep.equal([]);
    }
  });

  it("each cluster sees only its own services and its own partition's pool", async () => {
    for (const env of ENVS) {
      const mine = await instances(env);
      expect(mine.every((i) => i.Service.Address.startsWith(subnetOf(env))), `${env} sees only its own hosts' instances`).to.equal(true);
      expect(poolAddresses(env).every((a) => a.startsWith(subnetOf(env))), `/${env}/web holds only ${env}'s instances`).to.equal(true);
    }
    expect(bigip.snapshot().pools.map((p) => p.fullPath).sort()).to.deep.equal(['/live/web', '/test/web']);
  });

  it('test scales up, promotes a role and scales down: live keeps its services, KV and pool, and nothing writes into its partition', async () => {
    const liveBefore = { instances: (await instances('live')).map((i) => i.Service.ID).sort(), kv: await kvKeys('live'), pool: poolAddresses('live') };
    const liveWritesBefore = writesInto('live');
    const testHost = fleets.test.host('h1');
    composeOn(testHost, projects.test, ['up', '-d', '--scale', 'web=3']);
    await waitFor(() => poolAddresses('test').length === 3, { timeoutMs: 30_000, message: 'three members in /test/web' });
    const [first] = (await instances('test')).map((i) => i.Service.ID).sort();
    const promote = await testHost.runToExit('role-promote', process.execPath, [BIN.registrator, 'role', 'promote', first, `consul://127.0.0.1:${AGENT_PORT}`]);
    expect(promote.code, promote.output).to.equal(0);
    await waitFor(async () => (await kvKeys('test')).some((k) => k.startsWith('registrator/roles/')), { timeoutMs: 10_000, message: "the role in test's KV" });
    composeOn(testHost, projects.test, ['up', '-d', '--scale', 'web=1']);
    await waitFor(() => poolAddresses('test').length === 1, { timeoutMs: 30_000, message: 'one member left in /test/web' });

    expect((await instances('live')).map((i) => i.Service.ID).sort(), "live's services").to.deep.equal(liveBefore.instances);
    expect(await kvKeys('live'), "live's KV").to.deep.equal(liveBefore.kv);
    expect(poolAddresses('live'), "live's pool").to.deep.equal(liveBefore.pool);
    expect(writesInto('live') - liveWritesBefore, 'BIG-IP writes into the live partition').to.equal(0);
    expect(writesInto('test') - 0, 'test did write into its own partition').to.be.above(0);
  });
});
