// f5-sync benchmark against the HTTPS BIG-IP stand-in:
// 1. initial sync of 1,000 pools x 10 members (time, calls): bulk read + one pool POST (with members) per pool;
// 2. one member change in Consul -> converged on the BIG-IP (p50/p99, calls per change; 1 call or 1 transaction);
// 3. a full resync with nothing changed (calls: reads only, 0 writes).
// Desired state for (1) and (3) is fed to the pool syncer directly (10,000 Consul registrations would measure
// the Consul stand-in, not f5-sync); (2) runs the whole daemon loop: Consul stand-in -> watcher -> debounce -> BIG-IP.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { createConsulClient, consulSettingsFromEnv } from '@consul-sidecars/core';
import { startBigipStandin } from '../../bigip-standin/src';
import { startConsulStandin } from '../../consul-standin/src';
import { parseF5SyncConfig, poolKey, type PoolConfig } from '../src/config';
import type { ServiceInstance } from '../src/observe/health-entries';
import { desiredMembers } from '../src/plan/desired-members';
import { IcontrolClient } from '../src/target/bigip/icontrol-client';
import type { CallRecord } from '../src/target/bigip/icontrol-errors';
import { BigipPoolTarget } from '../src/target/bigip/bigip-target';
import { PoolSyncer } from '../src/pool-pass';
import { createF5Sync } from '../src/f5-sync';
import { percentile } from '../../../bench/stats';

interface BenchResult {
  suite: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const SUITE = 'f5-sync';
/** Pools in the initial-sync measurement; F5_SYNC_BENCH_POOLS lowers it for a quicker run. */
const POOLS = Number(process.env.F5_SYNC_BENCH_POOLS ?? 1000);
const MEMBERS = 10;
const CHANGES = 40;
const MAPPING = { roleTags: { master: 10, slave: 9 }, defaultPriority: 0, ratioMetaKey: 'f5-ratio' };
const PLAN = { ownerMark: 'f5-sync', drainPeriodMs: 30_000, holdWhenEmptyFrom: 2 };


function poolConfig(i: number): PoolConfig {
  return { consulService: `svc${i}`, name: `bench_${i}`, partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1 };
}

function instancesFor(i: number): ServiceInstance[] {
  return Array.from({ length: MEMBERS }, (_, m) => ({
    id: `svc${i}-${m}`,
    node: 'bench',
    address: `10.${Math.floor(i / 250)}.${i % 250}.${m + 1}`,
    port: 8080,
    tags: [m === 0 ? 'master' : 'slave'],
    meta: {},
  }));
}

/** A full pass as SyncLoop.fullPass does it: one bulk read, then every pool with at most `concurrency` in flight. */
async function fullPass(target: BigipPoolTarget, syncer: PoolSyncer, pools: PoolConfig[], concurrency = 8): Promise<number> {
  const live = await target.readPools(pools);
  let next = 0;
  let writes = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pools.length) {
        const pool = pools[next++];
        const result = await syncer.sync(pool, desiredMembers(pool, instancesFor(Number(pool.consulService.slice(3))), MAPPING), { live: live.get(poolKey(pool)) });
        writes += result.writes;
      }
    }),
  );
  return writes;
}

export async function run(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'f5-sync-bench-'));
  const caFile = join(dir, 'ca.pem');
  let bigip = await startBigipStandin({ port: 0, user: 'admin', password: 'bench', tls: true, caOut: caFile });
  const consulStandin = await startConsulStandin({ port: 0 });
  const calls: CallRecord[] = [];
  const client = new IcontrolClient({ url: bigip.url, username: 'admin', password: 'bench', ca: bigip.caPem, onCall: (r) => calls.push(r) });
  try {
    const pools = Array.from({ length: POOLS }, (_, i) => poolConfig(i));
    const target = new BigipPoolTarget(client);
    const syncer = new PoolSyncer({ target, plan: PLAN, logger: silentLogger() });

    // 1. Initial sync.
    let started = Date.now();
    await fullPass(target, syncer, pools);
    const initialMs = Date.now() - started;
    const initialWrites = calls.filter((c) => c.method !== 'GET').length;
    rows.push({ suite: SUITE, name: `initial sync ${POOLS} pools x ${MEMBERS} members`, value: initialMs, unit: 'ms', note: 'no rate cap; HTTPS stand-in' });
    rows.push({ suite: SUITE, name: 'initial sync calls', value: calls.length, unit: 'calls', note: `${initialWrites} writes (one pool POST with its members each), incl. login` });
    // What one write costs the stand-in once it holds every pool (its per-write config clone dominates the time above).
    const probe = performance.now();
    await client.request({ method: 'PATCH', path: '/mgmt/tm/ltm/pool/~Common~bench_0', body: { minActiveMembers: 1 } });
    rows.push({ suite: SUITE, name: `stand-in write latency at ${POOLS} pools`, value: performance.now() - probe, unit: 'ms', note: 'bigip-standin cost, not f5-sync' });

    // 3. Resync with nothing changed (run before the change loop so the state is exactly the initial one).
    calls.length = 0;
    started = Date.now();
    const resyncWrites = await fullPass(target, syncer, pools);
    rows.push({ suite: SUITE, name: `resync ${POOLS} pools, nothing changed`, value: Date.now() - started, unit: 'ms' });
    rows.push({ suite: SUITE, name: 'resync calls', value: calls.length, unit: 'calls', note: 'one bulk GET with expandSubcollections' });
    rows.push({ suite: SUITE, name: 'resync writes', value: calls.filter((c) => c.method !== 'GET').length + resyncWrites, unit: 'calls', note: 'target 0' });

    // 2. One member change in Consul -> converged on the BIG-IP, through the whole daemon. On a fresh stand-in:
    // on the loaded one each write costs the stand-in a clone of 1,000 pools, which would measure the stand-in.
    await client.close();
    await bigip.stop();
    bigip = await startBigipStandin({ port: 0, user: 'admin', password: 'bench', tls: true, caOut: caFile });
    const consul = createConsulClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: consulStandin.address }));
    const service = 'bench-live';
    const ids = ['bench-live-a', 'bench-live-b'];
    for (const [n, id] of ids.entries()) {
      await consul.agent.service.register({ id, name: service, address: '10.200.0.1', port: 9000 + n, tags: [n === 0 ? 'master' : 'slave'] } as never);
    }
    const config = parseF5SyncConfig({
      consul: { address: consulStandin.url },
      bigip: { url: bigip.url, username: 'admin', password: 'bench', caFile },
      pools: [{ consulService: service, name: 'bench_live' }],
      // Long enough to coalesce the two registrations of a role swap into one pass.
      debounce: { min: '150ms', max: '400ms' },
      resyncInterval: '1h',
      rateLimit: { callsPerSecond: 0 },
      leaderLock: { enabled: false },
      logLevel: 'silent',
    });
    const loopCalls: CallRecord[] = [];
    const f5 = createF5Sync(config, { logger: silentLogger(), consul, useLeaderLock: false, onCall: (r) => loopCalls.push(r) });
    await f5.loop.start();
    const priorities = () => Object.fromEntries(bigip.traffic('/Common/bench_live').members.map((m) => [m.name, m.priorityGroup]));
    await waitFor(() => Object.keys(priorities()).length === 2, { timeoutMs: 10_000, message: 'live pool synced' });

    const latencies: number[] = [];
    const swapLatencies: number[] = [];
    let singleWrites = 0;
    let singleCalls = 0;
    let swapWrites = 0;
    let swapTransactions = 0;
    const registerRole = (n: number, tags: string[]) =>
      consul.agent.service.register({ id: ids[n], name: service, address: '10.200.0.1', port: 9000 + n, tags } as never);
    for (let i = 0; i < CHANGES; i++) {
      // A single member change: instance b flips between no role (0) and slave (9) -> one PATCH.
      const wantB = i % 2 === 0 ? 0 : 9;
      loopCalls.length = 0;
      const t0 = performance.now();
      await registerRole(1, wantB === 9 ? ['slave'] : []);
      await waitFor(() => priorities()['10.200.0.1:9001'] === wantB, { timeoutMs: 5_000, intervalMs: 1, message: 'single change converged' });
      latencies.push(performance.now() - t0);
      await waitFor(() => loopCalls.some((c) => c.method === 'PATCH'), { timeoutMs: 2_000, intervalMs: 1 });
      singleCalls += loopCalls.length;
      singleWrites += loopCalls.filter((c) => c.method !== 'GET').length;
    }
    // Role swaps (`registrator role promote`: two re-registrations) from master/slave: both members change -> one transaction.
    await registerRole(0, ['master']);
    await registerRole(1, ['slave']);
    await waitFor(() => priorities()['10.200.0.1:9000'] === 10 && priorities()['10.200.0.1:9001'] === 9, { timeoutMs: 5_000, intervalMs: 1, message: 'master/slave' });
    for (let i = 0; i < CHANGES / 2; i++) {
      const aMaster = i % 2 === 1;
      loopCalls.length = 0;
      const t0 = performance.now();
      await registerRole(0, [aMaster ? 'master' : 'slave']);
      await registerRole(1, [aMaster ? 'slave' : 'master']);
      await waitFor(() => {
        const p = priorities();
        return p['10.200.0.1:9000'] === (aMaster ? 10 : 9) && p['10.200.0.1:9001'] === (aMaster ? 9 : 10);
      }, { timeoutMs: 5_000, intervalMs: 1, message: 'role swap converged' });
      swapLatencies.push(performance.now() - t0);
      // The commit's reply is recorded just after the stand-in applied it; count the swap's calls once it is in.
      await waitFor(() => loopCalls.some((c) => c.method === 'PATCH' && c.path.startsWith('/mgmt/tm/transaction/')), { timeoutMs: 2_000, intervalMs: 1, message: 'commit recorded' });
      swapWrites += loopCalls.filter((c) => c.method !== 'GET').length;
      swapTransactions += loopCalls.filter((c) => c.method === 'POST' && c.path === '/mgmt/tm/transaction').length;
    }
    await f5.close();
    rows.push({ suite: SUITE, name: 'member change -> converged p50', value: percentile(latencies, 50), unit: 'ms', note: `${CHANGES} changes; Consul write -> BIG-IP; includes the 150 ms debounce (> the watcher's 100-120 ms query gap)` });
    rows.push({ suite: SUITE, name: 'member change -> converged p99', value: percentile(latencies, 99), unit: 'ms' });
    rows.push({ suite: SUITE, name: 'calls per member change', value: singleCalls / CHANGES, unit: 'calls', note: `${singleWrites / CHANGES} writes: 1 GET of the pool + 1 PATCH` });
    rows.push({ suite: SUITE, name: 'role swap -> converged p50', value: percentile(swapLatencies, 50), unit: 'ms', note: `${swapLatencies.length} swaps` });
    rows.push({ suite: SUITE, name: 'role swap -> converged p99', value: percentile(swapLatencies, 99), unit: 'ms' });
    rows.push({ suite: SUITE, name: 'transactions per role swap', value: swapTransactions / swapLatencies.length, unit: 'transactions', note: `target 1; ${swapWrites / swapLatencies.length} writes per swap (create, 2 enlisted PATCHes, commit)` });
  } finally {
    await client.close();
    await consulStandin.stop();
    await bigip.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
