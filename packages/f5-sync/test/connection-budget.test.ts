// The connection budget (README "Connections to Consul"): f5-sync with 200 pools, against a Consul stand-in that
// enforces Consul's per-client connection limit (64 here), syncs every pool to the BIG-IP stand-in, follows a change
// and never holds more connections than its budget (counted at the stand-in), none refused. One blocking query per
// pool would hold 200 (refused with 429 past the limit).

import { expect } from 'chai';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLimit, silentLogger, waitFor } from '@consul-sidecars/core';
import { startBigipStandin, type BigipStandin } from '../../bigip-standin/src';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { parseF5SyncConfig } from '../src/config';
import { createF5Sync, type F5Sync } from '../src/f5-sync';
import { numberedRegistration, putAsWriter } from '../../../test/support/consul-writes';
import { membersOf, PASSWORD } from './support';

const POOLS = 200;
const LIMIT = 64;

/** Instance 1 of each service is the master, the others slaves (priority groups 10 and 9). */
const registration = (service: string, n: number, status = 'passing') => numberedRegistration(service, n, { status, tags: [n === 1 ? 'master' : 'slave'] });

describe('f5-sync connection budget', function () {
  this.timeout(300_000);
  let consul: ConsulStandin | undefined;
  let bigip: BigipStandin | undefined;
  let f5: F5Sync | undefined;
  let dir: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  // ready() waits on every pool's watcher with one AbortSignal: no MaxListenersExceededWarning at 200 pools.
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'f5-sync-budget-'));
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await f5?.close();
    await bigip?.stop();
    await consul?.stop();
    agent.destroy();
    f5 = undefined;
    bigip = undefined;
    consul = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it(`syncs ${POOLS} pools and follows a change within its budget, against an enforced limit of ${LIMIT}`, async () => {
    consul = await startConsulStandin({ httpMaxConnsPerClient: LIMIT });
    const c = consul;
    const caFile = join(dir, 'bigip-ca.pem');
    bigip = await startBigipStandin({ port: 0, user: 'admin', password: PASSWORD, tls: true, caOut: caFile });
    const names = Array.from({ length: POOLS }, (_, i) => `budget-${String(i).padStart(3, '0')}`);
    await mapLimit(names, 8, async (name) => {
      await putAsWriter(c.url, '/v1/catalog/register', registration(name, 1), agent);
      await putAsWriter(c.url, '/v1/catalog/register', registration(name, 2), agent);
    });
    c.resetConnectionPeaks();
    expect(c.connectionPeaks()['127.0.0.1'] ?? 0).to.equal(0);

    const config = parseF5SyncConfig({
      consul: { address: c.url },
      bigip: { url: bigip.url, username: 'admin', password: PASSWORD, caFile },
      pools: names.map((name) => ({ consulService: name, name: `${name}_pool` })),
      drainPeriod: '1s',
      debounce: { min: '50ms', max: '500ms' },
      // Long enough that a full pass of 200 pools on a loaded machine is not followed by another at once.
      resyncInterval: '60s',
      rateLimit: { callsPerSecond: 0 },
      // Its other Consul queries run too: the declarations' catalog watch and the leader lock.
      declarations: { enabled: true },
      leaderLock: { enabled: true },
      logLevel: 'silent',
    });
    // No client passed in: f5-sync builds both of its Consul clients from the config, as the daemon does.
    f5 = createF5Sync(config, { logger: silentLogger(), env: {}, useLeaderLock: true, consulWaitSeconds: 30 });
    const t0 = Date.now();
    await f5.loop.start();
    const b = bigip;
    const synced = (): number => names.filter((name) => Object.keys(membersOf(b, `${name}_pool`)).length === 2).length;

    await waitFor(() => synced() === POOLS, { timeoutMs: 180_000, message: `every one of ${POOLS} pools synced` });

    const syncedMs = Date.now() - t0;
    // A new instance of the last pool's service, and a failing check in the middle one: both followed.
    await putAsWriter(c.url, '/v1/catalog/register', registration(names[POOLS - 1], 3), agent);
    await putAsWriter(c.url, '/v1/catalog/register', registration(names[100], 2, 'critical'), agent);
    await waitFor(() => {
      const last = membersOf(b, `${names[POOLS - 1]}_pool`);
      const middle = membersOf(b, `${names[100]}_pool`);
      const failed = middle['10.1.2.1:8002'];
      return Object.keys(last).includes('10.1.3.1:8003') && (failed === undefined || failed.session === 'user-disabled');
    }, { timeoutMs: 30_000, message: 'the new instance added and the failing one drained' });

    const budget = f5.consulConnectionBudget;
    const peak = c.connectionPeaks()['127.0.0.1'] ?? 0;
    console.log(`      ${POOLS} pools synced in ${syncedMs} ms: peak ${peak} connections at the Consul stand-in, budget ${budget} (feed ${f5.feed.connectionBudget}), limit ${LIMIT}`);
    expect(budget).to.be.at.most(LIMIT);
    expect(peak, `peak connections ${peak}, budget ${budget}`).to.be.at.most(budget);
    expect(c.refusedConnections).to.equal(0);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).to.deep.equal([]);
  });
});
