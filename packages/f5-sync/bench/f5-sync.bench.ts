// f5-sync benchmark against the HTTPS BIG-IP stand-in:
// 1. initial sync of 1,000 pools x 10 members (time, calls) as the loop's full pass does it: one bulk read, every pool
//    planned, one pool POST (with its members) per pool, 4 requests in flight; beside it the floor measured in the same
//    run (one call's latency x calls / concurrency);
// 2. a big change: a role swap in every pool (2 member PATCHes each) in transactions shared by 50 pools, with its floor;
// 3. a full resync with nothing changed (calls: reads only, 0 writes);
// 4. one member change in Consul -> converged on the BIG-IP (p50/p99, calls per change; 1 call or 1 transaction).
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
import { DEFAULT_MAX_CONCURRENT, IcontrolClient } from '../src/target/bigip/icontrol-client';
import { applyPlans } from '../src/target/bigip/apply';
import { planPoolChanges, type PoolAction } from '../src/plan/pool-plan';
import type { PoolRef } from '../src/target/pool-model';
import { poolPath } from '../src/target/bigip/icontrol-paths';
import type { CallRecord } from '../src/target/bigip/icontrol-errors';
import { BigipPoolTarget, DEFAULT_TRANSACTION_COMMANDS } from '../src/target/bigip/bigip-target';
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
/** The daemon's default: iControl requests in flight (README "Concurrency"). */
const CONCURRENCY = DEFAULT_MAX_CONCURRENT;


function poolConfig(i: number): PoolConfig {
  return { consulService: `svc${i}`, name: `bench_${i}`, partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1 };
}

/** Pool i's instances: member 0 is the master, unless `swapped` makes member 1 the master and 0 a slave. */
function instancesFor(i: number, swapped = false): ServiceInstance[] {
  return Array.from({ length: MEMBERS }, (_, m) => ({
    id: `svc${i}-${m}`,
    node: 'bench',
    address: `10.${Math.floor(i / 250)}.${i % 250}.${m + 1}`,
    port: 8080,
    tags: [m === (swapped ? 1 : 0) ? 'master' : 'slave'],
    meta: {},
  }));
}

/** A full pass as SyncLoop.fullPass does it: one bulk read, every pool planned, the writes sent together. */
async function fullPass(target: BigipPoolTarget, syncer: PoolSyncer, pools: PoolConfig[], swapped = false): Promise<number> {
  const live = await target.readPools(pools);
  const items = pools.map((pool) => ({ pool, desired: desiredMembers(pool, instancesFor(Number(pool.consulService.slice(3)), swapped), MAPPING), live: live.get(poolKey(pool)) }));
  const results = await Promise.all(syncer.syncMany(items));
  return results.reduce((n, r) => n + r.writes, 0);
}

/**
 * One iControl call's latency on the loaded stand-in, for the mix of calls the full pass sent: probe plans sent the
 * way the pass sends them (applyPlans), but one request at a time (no queueing); the time divided by the calls made.
 */
async function callLatency(url: string, ca: string | undefined, plans: Array<{ pool: string; ref: PoolRef; actions: PoolAction[] }>): Promise<number> {
  let calls = 0;
  const probe = new IcontrolClient({ url, username: 'admin', password: 'bench', ca, maxConcurrent: 1, onCall: () => calls++ });
  try {
    await probe.version();
    calls = 0;
    const started = performance.now();
    await applyPlans(probe, plans, { maxCommands: DEFAULT_TRANSACTION_COMMANDS, workers: 1 });
    return (performance.now() - started) / Math.max(1, calls);
  } finally {
    await probe.close();
  }
}

/** Probe plans: `n` new pools (as the initial sync creates them), or the role swap of `n` pools that exist. */
function probePlans(n: number, kind: 'create' | 'swap', pools: PoolConfig[]): Array<{ pool: string; ref: PoolRef; actions: PoolAction[] }> {
  return Array.from({ length: kind === 'swap' ? Math.min(n, pools.length) : n }, (_, i) => {
    const pool = kind === 'create' ? { ...poolConfig(POOLS + i), name: `probe_${i}` } : pools[i];
    const ref = { partition: pool.partition, name: pool.name };
    if (kind === 'create') {
      const desired = desiredMembers(pool, instancesFor(POOLS + i), MAPPING);
      return planPoolChanges({ pool, desired, live: undefined, now: Date.now(), options: PLAN });
    }
    const names = instancesFor(i).slice(0, 2).map((m) => `${m.address}:${m.port}`);
    const actions: PoolAction[] = names.map((member, m) => ({ kind: 'updateMember', member, changes: { priorityGroup: m === 0 ? 10 : 9 }, cause: 'consul' }));
    return { pool: poolKey(pool), ref, actions };
  });
}

export async function run(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'f5-sync-bench-'));
  const caFile = join(dir, 'ca.pem');
  let bigip = await startBigipStandin({ port: 0, user: 'admin', password: 'bench', tls: true, caOut: caFile });
  const consulStandin = await startConsulStandin({ port: 0 });
  const calls: CallRecord[] = [];
  const client = new IcontrolClient({ url: bigip.url, username: 'admin', password: 'bench', ca: bigip.caPem, maxConcurrent: CONCURRENCY, onCall: (r) => calls.push(r) });
  try {
    const pools = Array.from({ length: POOLS }, (_, i) => poolConfig(i));
    const target = new BigipPoolTarget(client, { workers: CONCURRENCY });
    const syncer = new PoolSyncer({ target, plan: PLAN, logger: silentLogger() });

    // 1. Initial sync.
    let started = Date.now();
    await fullPass(target, syncer, pools);
    const initialMs = Date.now() - started;
    const initialCalls = calls.length;
    const initialWrites = calls.filter((c) => c.method !== 'GET').length;
    const commits = calls.filter((c) => c.method === 'PATCH' && c.path.startsWith('/mgmt/tm/transaction/')).length;
    const probes = probePlans(20, 'create', pools);
    const createLatency = await callLatency(bigip.url, bigip.caPem, probes);
    await client.transaction(probes.map((probe) => ({ method: 'DELETE' as const, path: poolPath(probe.ref) })));
    const initialFloor = (createLatency * initialCalls) / CONCURRENCY;
    rows.push({ suite: SUITE, name: `initial sync ${POOLS} pools x ${MEMBERS} members`, value: initialMs, unit: 'ms', note: `floor ${Math.round(initialFloor)} ms = ${createLatency.toFixed(2)} ms/call x ${initialCalls} calls / ${CONCURRENCY} in flight; no rate cap; HTTPS stand-in` });
    rows.push({ suite: SUITE, name: 'initial sync calls', value: initialCalls, unit: 'calls', note: `${initialWrites} writes incl. login: one pool POST with its members each (${commits} transactions)` });
    rows.push({ suite: SUITE, name: 'initial sync floor', value: initialFloor, unit: 'ms', note: 'one iControl call latency (same call mix, one at a time, same run) x calls / concurrency' });
    // The stand-in runs in this process, on the same thread as f5-sync: its work and both ends of every HTTPS
    // exchange cannot overlap, so calls x latency (no division) is what this setup can reach; a BIG-IP (its own
    // box, mcpd applying one change at a time while the next request is on the wire) is what the floor above models.
    rows.push({ suite: SUITE, name: 'initial sync floor, one thread', value: createLatency * initialCalls, unit: 'ms', note: 'one call latency x calls: stand-in and client share this process' });

    // 2. A big change: the master and a slave swap roles in every pool (2 PATCHes per pool).
    calls.length = 0;
    started = Date.now();
    await fullPass(target, syncer, pools, true);
    const swapMs = Date.now() - started;
    const swapCalls = calls.length;
    const swapLatency = await callLatency(bigip.url, bigip.caPem, probePlans(DEFAULT_TRANSACTION_COMMANDS / 2, 'swap', pools));
    const swapFloor = (swapLatency * swapCalls) / CONCURRENCY;
    rows.push({ suite: SUITE, name: `role swap in all ${POOLS} pools`, value: swapMs, unit: 'ms', note: `floor ${Math.round(swapFloor)} ms = ${swapLatency.toFixed(2)} ms/call x ${swapCalls} calls / ${CONCURRENCY} in flight` });
    rows.push({ suite: SUITE, name: 'role swap calls', value: swapCalls, unit: 'calls', note: `a transaction per pool would be ${POOLS * 4 + 1} (create, 2 enlists, commit each, + the read)` });
    // The probe swapped 50 pools back; the resync below puts them right again, so the resync uses a fresh baseline.
    await fullPass(target, syncer, pools, true);

    // 3. Resync with nothing changed.
    calls.length = 0;
    started = Date.now();
    const resyncWrites = await fullPass(target, syncer, pools, true);
    rows.push({ suite: SUITE, name: `resync ${POOLS} pools, nothing changed`, value: Date.now() - started, unit: 'ms' });
    rows.push({ suite: SUITE, name: 'resync calls', value: calls.length, unit: 'calls', note: 'one bulk GET with expandSubcollections' });
    rows.push({ suite: SUITE, name: 'resync writes', value: calls.filter((c) => c.method !== 'GET').length + resyncWrites, unit: 'calls', note: 'target 0' });

    // 4. One member change in Consul -> converged on the BIG-IP, through the whole daemon. On a fresh stand-in:
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
