// #14 item 6 on the built process: a SIGHUP'd config that would empty an owned pool (its service changed to one with
// no instance) is held like an empty Consul answer: the member stays serving, the hold is logged and metered, and
// the pool follows once the new service has instances. A config of the wrong types is refused on SIGHUP, keeping
// the last good one.

import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { fileConfig, killChildren, metricsText, startChild, type Child } from './child';
import { deregister, membersOf, register, startEnv, uniqueName, waitFor, writeConfigFile, type Env } from './support';

describe('f5-sync reloading its config (SIGHUP) @integration', function () {
  this.timeout(60_000);
  let env: Env;
  let child: Child | undefined;
  const registered: string[] = [];

  before(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await killChildren([child]);
    child = undefined;
    await deregister(env.consul.client, ...registered.splice(0));
  });
  after(async () => {
    await env.close();
  });

  it("a reload whose new source is empty holds the pool's only member; the new source's instances then take over", async () => {
    const service = uniqueName('reload');
    const renamed = `${service}-v2`;
    const pool = `${service}_pool`;
    registered.push(`${service}-1`);
    await register(env.consul.client, { id: `${service}-1`, service, port: 32000, tags: ['master'] });
    const file = writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }], { metrics: { port: 0 } }), 'reload.json');
    child = startChild(['--config', file]);
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 1, { timeoutMs: 15_000, message: 'pool synced' });

    // A wrong type on SIGHUP (what once drained the pool): refused, naming the field; the running config stays.
    writeFileSync(file, JSON.stringify(fileConfig(env, [{ consulService: 5, name: pool }], { metrics: { port: 0 } })));
    child.process.kill('SIGHUP');
    await waitFor(() => child!.lines.find((l) => l.msg === 'reload failed; keeping the last good configuration'), { timeoutMs: 10_000, message: 'reload refused' });
    expect(JSON.stringify(child.lines)).to.match(/pools\.0\.consulService must be a string, not 5/);

    // A valid config whose service has no instance: held, not emptied (a single member is below holdWhenEmptyFrom).
    writeFileSync(file, JSON.stringify(fileConfig(env, [{ consulService: renamed, name: pool }], { metrics: { port: 0 } })));
    child.process.kill('SIGHUP');
    await waitFor(() => child!.lines.find((l) => l.msg === 'holding pool as it is: not changing anything'), { timeoutMs: 10_000, message: 'pool held after the reload' });
    const held = child.lines.find((l) => l.msg === 'holding pool as it is: not changing anything')!;
    expect(held.reason).to.match(new RegExp(`reloaded config changed where pool /Common/${pool} gets its members \\(consulService ${service} -> ${renamed}\\)`));
    expect(await metricsText(child)).to.match(new RegExp(`^f5sync_pool_held\\{pool="/Common/${pool}"\\} 1$`, 'm'));
    // Passes keep holding (resync every 2 s), and the member still serves.
    await waitFor(async () => Number(/^f5sync_pool_syncs_total\{outcome="held"\} (\d+)$/m.exec(await metricsText(child!))?.[1] ?? 0) >= 2, { timeoutMs: 10_000, message: 'two held passes' });
    expect(membersOf(env.bigip, pool)['127.0.0.1:32000']).to.include({ session: 'user-enabled' });

    registered.push(`${renamed}-1`);
    await register(env.consul.client, { id: `${renamed}-1`, service: renamed, port: 32001, tags: ['master'] });
    await waitFor(() => membersOf(env.bigip, pool)['127.0.0.1:32001'] !== undefined, { timeoutMs: 10_000, message: "the new service's member added" });
    await waitFor(() => membersOf(env.bigip, pool)['127.0.0.1:32000'] === undefined, { timeoutMs: 10_000, message: 'the old member drained and removed' });
    expect(await metricsText(child)).to.match(new RegExp(`^f5sync_pool_held\\{pool="/Common/${pool}"\\} 0$`, 'm'));
  });
});
