// f5-sync against the Consul stand-in (or CONSUL_HTTP_ADDR) and the HTTPS BIG-IP stand-in: ownership, drift repair,
// token expiry, injected 5xx, holds, TLS verification, and "no change -> no call".

import { expect } from 'chai';
import { silentLogger } from '@consul-sidecars/core';
import { onlyStandin } from '../../../test/support/consul';
import { createF5Sync, type F5Sync } from '../src/f5-sync';
import { IcontrolClient } from '../src/target/bigip/icontrol-client';
import { byHand, deregister, membersOf, register, startEnv, startF5Sync, testConfig, uniqueName, waitFor, type Env, type Instance } from './support';

function instances(service: string, n: number, base: number, tags: (i: number) => string[] = () => []): Instance[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${service}-${i + 1}`, service, port: base + i, tags: tags(i) }));
}

async function metricValue(f5: F5Sync, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await f5.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  let total = 0;
  for (const v of (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>) {
    if (Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)) total += v.value;
  }
  return total;
}

describe('f5-sync against the stand-ins @integration', function () {
  this.timeout(60_000);
  let env: Env;
  let f5: F5Sync | undefined;
  const registered: string[] = [];

  async function registerAll(list: Instance[]): Promise<void> {
    for (const instance of list) {
      registered.push(instance.id);
      await register(env.consul.client, instance);
    }
  }

  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600, transactionTimeoutSeconds: 5 });
  });
  afterEach(async () => {
    await f5?.close();
    f5 = undefined;
    await deregister(env.consul.client, ...registered.splice(0));
    env.bigip.clearFaults();
  });
  after(async () => {
    await env.close();
  });

  it('a member added by hand survives every sync; a member of ours edited by hand is repaired', async () => {
    const service = uniqueName('own');
    const pool = `${service}_pool`;
    const list = instances(service, 2, 21000, (i) => [i === 0 ? 'master' : 'slave']);
    await registerAll(list);
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }]));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 10_000, message: 'pool synced' });

    const hand = byHand(env);
    await hand.request('POST', `/mgmt/tm/ltm/pool/~Common~${pool}/members`, { name: '10.99.0.1:80', address: '10.99.0.1', priorityGroup: 5, session: 'user-disabled' });
    // Our master is edited by hand: priority lowered, disabled.
    await hand.request('PATCH', `/mgmt/tm/ltm/pool/~Common~${pool}/members/~Common~127.0.0.1:21000`, { priorityGroup: 1, session: 'user-disabled' });
    await waitFor(() => {
      const m = membersOf(env.bigip, pool)['127.0.0.1:21000'];
      return m?.priorityGroup === 10 && m.session !== 'user-disabled';
    }, { timeoutMs: 10_000, message: 'hand edit repaired by the resync' });
    // Counted once the BIG-IP's answer is back, which can be after the stand-in already shows the repair.
    await waitFor(async () => (await metricValue(f5!, 'f5sync_drift_repaired_total')) > 0, { timeoutMs: 5_000, message: 'repair counted' });

    // More Consul changes and resyncs: the foreign member stays exactly as it was made.
    await registerAll(instances(service, 3, 21000).slice(2));
    await waitFor(() => membersOf(env.bigip, pool)['127.0.0.1:21002'] !== undefined, { timeoutMs: 10_000, message: 'third member' });
    await deregister(env.consul.client, `${service}-3`);
    await waitFor(() => membersOf(env.bigip, pool)['127.0.0.1:21002'] === undefined, { timeoutMs: 10_000, message: 'third member drained and removed' });
    const foreign = membersOf(env.bigip, pool)['10.99.0.1:80'];
    expect(foreign).to.deep.include({ priorityGroup: 5, session: 'user-disabled' });
    expect(foreign.description).to.equal(undefined);
    expect(await metricValue(f5, 'f5sync_pool_members', { owner: 'foreign' })).to.equal(1);
  });

  it('nothing changed -> no call at all between resyncs except the reads', async () => {
    const service = uniqueName('idle');
    const pool = `${service}_pool`;
    await registerAll(instances(service, 3, 22000, (i) => [i === 0 ? 'master' : 'slave']));
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }], { resyncInterval: '300ms' }));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 3, { timeoutMs: 10_000, message: 'pool synced' });
    const before = env.bigip.counters();
    const writesBefore = await metricValue(f5, 'f5sync_icontrol_calls_total', { method: 'POST' }) + await metricValue(f5, 'f5sync_icontrol_calls_total', { method: 'PATCH' });
    // Let several resyncs happen (they are driven by the loop's own timer).
    const getsBefore = await metricValue(f5, 'f5sync_icontrol_calls_total', { method: 'GET' });
    await waitFor(async () => (await metricValue(f5!, 'f5sync_icontrol_calls_total', { method: 'GET' })) >= getsBefore + 3, { timeoutMs: 10_000, message: 'three resyncs' });
    const after = env.bigip.counters();
    expect(after.writes - before.writes).to.equal(0);
    const writesAfter = await metricValue(f5, 'f5sync_icontrol_calls_total', { method: 'POST' }) + await metricValue(f5, 'f5sync_icontrol_calls_total', { method: 'PATCH' });
    expect(writesAfter).to.equal(writesBefore);
  });

  it('the token expires mid-run -> one re-login, no lost change', async () => {
    const service = uniqueName('tok');
    const pool = `${service}_pool`;
    await registerAll(instances(service, 1, 23000, () => ['master']));
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }], { resyncInterval: '1h' }));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 1, { timeoutMs: 10_000, message: 'pool synced' });
    expect(f5.client.logins).to.equal(1);

    env.bigip.expireAllTokens();
    await registerAll(instances(service, 2, 23000, (i) => [i === 0 ? 'master' : 'slave']).slice(1));
    await waitFor(() => membersOf(env.bigip, pool)['127.0.0.1:23001']?.priorityGroup === 9, { timeoutMs: 10_000, message: 'change applied after re-login' });
    expect(f5.client.logins).to.equal(2);
    expect(await metricValue(f5, 'f5sync_icontrol_calls_total', { outcome: 'unauthorized' })).to.equal(1);
  });

  it('the BIG-IP answers 500 for 3 s -> retried with backoff, converged after', async () => {
    const service = uniqueName('five');
    const pool = `${service}_pool`;
    await registerAll(instances(service, 1, 24000, () => ['master']));
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }], { resyncInterval: '1h' }));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 1, { timeoutMs: 10_000, message: 'pool synced' });

    const faultStart = Date.now();
    env.bigip.injectFault({ status: 500, seconds: 3, pathPrefix: '/mgmt/tm/ltm' });
    await registerAll(instances(service, 3, 24000, (i) => [i === 0 ? 'master' : 'slave']).slice(1));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 3, { timeoutMs: 30_000, message: 'converged after the fault' });
    expect(Date.now() - faultStart).to.be.greaterThan(2900);
    expect(await metricValue(f5, 'f5sync_icontrol_calls_total', { outcome: 'server_error' })).to.be.greaterThan(1);
    const members = membersOf(env.bigip, pool);
    expect(members['127.0.0.1:24001'].priorityGroup).to.equal(9);
    expect(members['127.0.0.1:24002'].priorityGroup).to.equal(9);
  });

  it('a 503 "Configuration Utility restarting" page is retried', async () => {
    const service = uniqueName('busy');
    const pool = `${service}_pool`;
    await registerAll(instances(service, 2, 25000, (i) => [i === 0 ? 'master' : 'slave']));
    env.bigip.injectFault({ status: 503, requests: 2, methods: ['POST'] });
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }]));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 10_000, message: 'pool synced despite 503s' });
    expect(await metricValue(f5, 'f5sync_icontrol_calls_total', { outcome: 'busy' })).to.equal(2);
  });

  it('Consul suddenly returns no instance for a pool with many -> hold, nothing removed, alert', async () => {
    const service = uniqueName('empty');
    const pool = `${service}_pool`;
    const list = instances(service, 3, 26000, (i) => [i === 0 ? 'master' : 'slave']);
    await registerAll(list);
    // "Suddenly": Consul has no atomic way to fail three checks, so they fail at once and the debounce is long enough
    // to see them as one change on a loaded machine (at 50 ms a pass between two of them drained a member first).
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }], { debounce: { min: '400ms', max: '2s' } }));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 3, { timeoutMs: 10_000, message: 'pool synced' });
    const writes = env.bigip.counters().writes;
    await Promise.all(list.map((instance) => env.consul.client.agent.check.fail(`service:${instance.id}`)));
    await waitFor(async () => (await metricValue(f5!, 'f5sync_pool_held')) === 1, { timeoutMs: 10_000, message: 'pool held' });
    expect(f5.loop.health().ok).to.equal(false);
    expect(Object.values(membersOf(env.bigip, pool)).every((m) => m.session !== 'user-disabled')).to.equal(true);
    expect(env.bigip.counters().writes).to.equal(writes);
    // One instance passes again: the hold ends, the others are drained.
    await env.consul.client.agent.check.pass(`service:${list[0].id}`);
    await waitFor(async () => (await metricValue(f5!, 'f5sync_pool_held')) === 0, { timeoutMs: 10_000, message: 'hold lifted' });
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).join() === '127.0.0.1:26000', { timeoutMs: 10_000, message: 'others drained and removed' });
  });

  it('Consul unreachable -> pools held as they are', async function () {
    onlyStandin(this, 'stops the Consul agent');
    const service = uniqueName('down');
    const pool = `${service}_pool`;
    await registerAll(instances(service, 2, 27000, (i) => [i === 0 ? 'master' : 'slave']));
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }]));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 10_000, message: 'pool synced' });
    const before = membersOf(env.bigip, pool);
    await env.consul.stop();
    try {
      await waitFor(async () => (await metricValue(f5!, 'f5sync_pool_held')) === 1, { timeoutMs: 10_000, message: 'pool held' });
      expect(membersOf(env.bigip, pool)).to.deep.equal(before);
      expect(f5.loop.health().held).to.have.property(`/Common/${pool}`).that.matches(/consul/i);
    } finally {
      await f5.close();
      f5 = undefined;
      await env.consul.restart();
    }
  });

  it('verifies TLS: without the stand-in CA the call fails with ERR_ICONTROL_TLS and is not retried', async () => {
    const strict = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: 'irrelevant', retry: { attempts: 3, baseMs: 10, maxMs: 10 } });
    const error = await strict.version().then(() => undefined, (err: unknown) => err as { code?: string });
    expect(error?.code).to.equal('ERR_ICONTROL_TLS');
    await strict.close();
    const trusting = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: 'wrong-password', ca: env.bigip.caPem });
    const denied = await trusting.version().then(() => undefined, (err: unknown) => err as { code?: string; message: string });
    expect(denied?.code).to.equal('ERR_ICONTROL_AUTH');
    expect(denied?.message).to.not.contain('wrong-password');
    await trusting.close();
  });

  it('--dry-run plans and writes nothing; the calls it prints are what a real run sends', async () => {
    const service = uniqueName('dry');
    const pool = `${service}_pool`;
    await registerAll(instances(service, 2, 28000, (i) => [i === 0 ? 'master' : 'slave']));
    const printed: Array<{ pool: string; method: string; path: string }> = [];
    const config = testConfig(env, [{ consulService: service, name: pool }]);
    const dry = createF5Sync(config, { logger: silentLogger(), consul: env.consul.client, dryRun: true, printCall: (p, call) => printed.push({ pool: p, ...call }) });
    const writes = env.bigip.counters().writes;
    const summary = await dry.loop.runOnce();
    await dry.close();
    expect(summary.results.map((r) => r.outcome)).to.deep.equal(['planned']);
    expect(printed).to.have.length(1);
    expect(printed[0]).to.deep.include({ pool: `/Common/${pool}`, method: 'POST', path: '/mgmt/tm/ltm/pool' });
    expect(env.bigip.counters().writes).to.equal(writes);
    expect(membersOf(env.bigip, pool)).to.deep.equal({});
  });
});
