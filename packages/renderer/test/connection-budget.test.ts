// Issue #19's connection budget: a renderer watching 1,000 services, against a stand-in enforcing Consul's
// per-client connection limit (64 here), renders every service, follows a change to any of them, and never
// holds more connections than its budget (counted at the stand-in). One blocking query per service would need
// 1,000 connections (refused with 429 past the limit) or, capped by the client's sockets, starve the queries
// waiting for one.

import { expect } from 'chai';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, consulSettingsFromEnv, mapLimit, silentLogger, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { resolveRendererConfig } from '../src/config';
import type { FeedQueryFactory } from '../src/observe';
import { Runner } from '../src/runner';
import { numberedRegistration, putAsWriter } from '../../../test/support/consul-writes';

const SERVICES = 1000;
const LIMIT = 64;

describe('renderer connection budget (issue #19)', function () {
  this.timeout(180_000);
  let standin: ConsulStandin | undefined;
  let runner: Runner | undefined;
  let consul: ConsulHttpClient | undefined;
  let dir: string;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rendobs-budget-'));
  });
  afterEach(async () => {
    await runner?.stop();
    consul?.close();
    await standin?.stop();
    agent.destroy();
    runner = undefined;
    standin = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it(`renders ${SERVICES} services and follows changes within its budget, against an enforced limit of ${LIMIT}`, async () => {
    standin = await startConsulStandin({ httpMaxConnsPerClient: LIMIT });
    const s = standin;
    const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
    await mapLimit(names, 8, async (name) => {
      await putAsWriter(s.url, '/v1/catalog/register', numberedRegistration(name, 1), agent);
      await putAsWriter(s.url, '/v1/catalog/register', numberedRegistration(name, 2), agent);
    });
    agent.destroy();
    s.resetConnectionPeaks();
    expect(s.connectionPeaks()['127.0.0.1'] ?? 0).to.equal(0);

    const dest = join(dir, 'upstreams.conf');
    const template = '{% for s in services() %}{% for i in service(s.Name) %}{{ s.Name }} {{ i.Address }}:{{ i.Port }}\n{% endfor %}{% endfor %}';
    consul = new ConsulHttpClient(consulSettingsFromEnv({}, s.address), { maxSockets: LIMIT });
    runner = new Runner({
      config: resolveRendererConfig({ consul: { address: s.address }, wait: { min: '300ms', max: '2s' }, templates: [{ contents: template, destination: dest }] }, dir),
      consul,
      logger: silentLogger(),
    });
    runner.start();
    const lines = (): string[] => {
      try {
        return readFileSync(dest, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    await waitFor(() => lines().filter((l) => l.startsWith('svc-')).length === SERVICES * 2, { timeoutMs: 90_000, message: 'every instance rendered' });

    // A change to the last service and one to a service in the middle: both seen, promptly.
    await putAsWriter(s.url, '/v1/catalog/deregister', { Node: 'node-2', ServiceID: 'svc-0999-2' });
    await putAsWriter(s.url, '/v1/catalog/register', numberedRegistration('svc-0500', 1, { status: 'critical' }));
    await waitFor(() => {
      const text = lines();
      return !text.includes('svc-0999 10.1.2.1:8002') && !text.includes('svc-0500 10.1.1.1:8001') && text.includes('svc-0999 10.1.1.1:8001');
    }, { timeoutMs: 15_000, message: 'both changes rendered' });

    const factory = (runner.pool as unknown as { options: { query: FeedQueryFactory } }).options.query;
    const budget = factory.feed.connectionBudget + factory.ownQueries;
    const peak = s.connectionPeaks()['127.0.0.1'] ?? 0;
    expect(budget).to.be.at.most(LIMIT);
    expect(peak, `peak connections ${peak}, budget ${budget}`).to.be.at.most(budget);
    expect(s.refusedConnections).to.equal(0);
  });
});
