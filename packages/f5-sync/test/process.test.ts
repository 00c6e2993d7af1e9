// The built `f5-sync` binary as child processes: killed with -9 inside a transaction and restarted (converged, no
// duplicates), --once exit codes, and two processes sharing one BIG-IP where only the leader writes.

import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import axios from 'axios';
import { BIN, fileConfig, killChildren, metricsText, startChild, writeCalls, type Child } from './child';
import { deregister, membersOf, PASSWORD, register, startEnv, uniqueName, waitFor, writeConfigFile, type Env, type Instance } from './support';

describe('f5-sync processes @integration', function () {
  this.timeout(90_000);
  let env: Env;
  const children: Child[] = [];
  const registered: string[] = [];

  async function registerAll(list: Instance[]): Promise<void> {
    for (const instance of list) {
      registered.push(instance.id);
      await register(env.consul.client, instance);
    }
  }

  before(async () => {
    env = await startEnv({ transactionTimeoutSeconds: 3 });
  });
  afterEach(async () => {
    await killChildren(children);
    await deregister(env.consul.client, ...registered.splice(0));
  });
  after(async () => {
    await env.close();
  });

  it('killed with -9 inside a transaction, restarted -> converged, no duplicates; SIGTERM stops it within 5 s', async () => {
    const service = uniqueName('kill');
    const pool = `${service}_pool`;
    const all = Array.from({ length: 5 }, (_, i): Instance => ({ id: `${service}-${i + 1}`, service, port: 31000 + i, tags: [i === 0 ? 'master' : 'slave'] }));
    await registerAll(all.slice(0, 1));
    const once = startChild(['--config', writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }]), 'once.json'), '--once']);
    children.push(once);
    expect(await once.exited).to.equal(0);
    expect(Object.keys(membersOf(env.bigip, pool))).to.deep.equal(['127.0.0.1:31000']);

    await registerAll(all.slice(1));
    // Slow it down (2 calls/s) so the 4-member transaction is still open when it is killed.
    const slowFile = writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }], { rateLimit: { callsPerSecond: 2 } }), 'slow.json');
    env.bigip.resetRequestLog();
    const slow = startChild(['--config', slowFile]);
    children.push(slow);
    await waitFor(() => env.bigip.requestLog().some((r) => r.transId !== undefined), { timeoutMs: 20_000, message: 'a command enlisted in a transaction' });
    slow.process.kill('SIGKILL');
    await slow.exited;
    const log = env.bigip.requestLog();
    expect(log.some((r) => r.method === 'PATCH' && r.path.startsWith('/mgmt/tm/transaction/'))).to.equal(false, 'not committed');
    expect(Object.keys(membersOf(env.bigip, pool))).to.have.length(1, 'nothing applied from the open transaction');

    const restarted = startChild(['--config', writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }]), 'fast.json')]);
    children.push(restarted);
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 5, { timeoutMs: 20_000, message: 'converged after restart' });
    const names = (env.bigip.snapshot().pools.find((p) => p.fullPath === `/Common/${pool}`)!.members as Array<{ name: string }>).map((m) => m.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(names.sort()).to.deep.equal(all.map((i) => `127.0.0.1:${i.port}`).sort());
    const members = membersOf(env.bigip, pool);
    expect(members['127.0.0.1:31000'].priorityGroup).to.equal(10);
    expect(members['127.0.0.1:31004'].priorityGroup).to.equal(9);

    const stopAt = Date.now();
    restarted.process.kill('SIGTERM');
    expect(await restarted.exited).to.equal(0);
    expect(Date.now() - stopAt).to.be.lessThan(5000);
    // It logged out: no token of ours left alive (the killed one's token expires on its own).
    expect(restarted.lines.some((l) => JSON.stringify(l).includes(PASSWORD))).to.equal(false, 'password never logged');
  });

  it('--once exits 3 when a guard holds a pool (an empty Consul answer for an owned pool), not 2 as a usage error', async () => {
    const service = uniqueName('held');
    const pool = `${service}_pool`;
    // The guard (safety.holdWhenEmptyFrom, default 2) holds a pool of 2 or more owned members on an empty answer.
    const instances: Instance[] = [31100, 31101].map((port, i) => ({ id: `${service}-${i + 1}`, service, port, tags: [i === 0 ? 'master' : 'slave'] }));
    await registerAll(instances);
    const config = writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }]), 'held.json');
    const first = startChild(['--config', config, '--once']);
    children.push(first);
    expect(await first.exited).to.equal(0);
    await deregister(env.consul.client, ...instances.map((i) => i.id));
    const held = startChild(['--config', config, '--once']);
    children.push(held);
    expect(await held.exited).to.equal(3);
    expect(Object.keys(membersOf(env.bigip, pool))).to.deep.equal(['127.0.0.1:31100', '127.0.0.1:31101'], 'the last good members stay');
  });

  it('--once --dry-run prints the planned calls as JSON lines and writes nothing; a bad config exits 78', async () => {
    const service = uniqueName('cli');
    const pool = `${service}_pool`;
    await registerAll([{ id: `${service}-1`, service, port: 33000, tags: ['master'] }]);
    const writes = env.bigip.counters().writes;
    const dry = startChild(['--config', writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }]), 'dry.json'), '--once', '--dry-run']);
    children.push(dry);
    expect(await dry.exited).to.equal(0);
    const planned = dry.lines.filter((l) => l.method);
    expect(planned).to.have.length(1);
    expect(planned[0]).to.deep.include({ pool: `/Common/${pool}`, method: 'POST', path: '/mgmt/tm/ltm/pool' });
    expect((planned[0].body as { members: Array<{ priorityGroup: number }> }).members[0].priorityGroup).to.equal(10);
    expect(env.bigip.counters().writes).to.equal(writes);

    const bad = startChild(['--config', writeConfigFile(env, { ...fileConfig(env, []), drainPeriod: 'later' }, 'bad.json'), '--once']);
    children.push(bad);
    expect(await bad.exited).to.equal(78);
    expect(bad.lines.some((l) => /drainPeriod/.test(String(l.err ?? l.text ?? '')))).to.equal(true);
  });

  it('two processes on one BIG-IP -> only the leader writes; when it stops the other takes over', async () => {
    const service = uniqueName('ha');
    const pool = `${service}_pool`;
    const lockKey = `f5-sync-test/${service}/leader`;
    const all = Array.from({ length: 4 }, (_, i): Instance => ({ id: `${service}-${i + 1}`, service, port: 32000 + i, tags: [i === 0 ? 'master' : 'slave'] }));
    await registerAll(all.slice(0, 2));
    const file = writeConfigFile(env, fileConfig(env, [{ consulService: service, name: pool }], {
      leaderLock: { enabled: true, key: lockKey, ttl: '10s', lockDelay: '1s' },
      metrics: { port: 0 },
    }), 'ha.json');
    const a = startChild(['--config', file]);
    const b = startChild(['--config', file]);
    children.push(a, b);
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 20_000, message: 'pool synced by the leader' });
    await registerAll(all.slice(2, 3));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 3, { timeoutMs: 20_000, message: 'third member' });

    const [textA, textB] = [await metricsText(a), await metricsText(b)];
    const [writesA, writesB] = [writeCalls(textA), writeCalls(textB)];
    const leader = writesA > 0 ? a : b;
    const follower = leader === a ? b : a;
    expect([writesA, writesB].filter((w) => w > 0)).to.have.length(1, `exactly one writer (A ${writesA}, B ${writesB})`);
    expect(/^consul_sidecars_leader (\d)/m.exec(leader === a ? textA : textB)?.[1]).to.equal('1');
    expect(/^consul_sidecars_leader (\d)/m.exec(leader === a ? textB : textA)?.[1]).to.equal('0');
    // Both /metrics pass promtool, with the shared names (the daemon is the scrape job) and a last success per pool.
    for (const text of [textA, textB]) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${lint.stdout}${lint.stderr}`.trim(), 'promtool check metrics').to.equal('');
      expect(lint.status).to.equal(0);
      expect(text).to.match(/^process_resident_memory_bytes \d+/m).and.match(/^consul_sidecars_build_info\{daemon="f5-sync",version="[^"]+"\} 1$/m);
    }
    expect(leader === a ? textA : textB).to.match(new RegExp(`^consul_sidecars_last_success_timestamp_seconds\\{pool="/Common/${pool}"\\} \\d`, 'm'));
    // The follower made no call to the BIG-IP at all.
    expect(/^f5sync_icontrol_calls_total/m.test(follower === a ? textA : textB)).to.equal(false);
    expect(env.bigip.counters().writes).to.be.at.least(Math.max(writesA, writesB));

    leader.process.kill('SIGTERM');
    expect(await leader.exited).to.equal(0);
    await registerAll(all.slice(3));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 4, { timeoutMs: 20_000, message: 'the other process took over' });
    expect(writeCalls(await metricsText(follower))).to.be.greaterThan(0);
  });
});
