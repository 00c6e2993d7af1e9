// The metrics every daemon shares (#18), from the healer: Consul reachability, errors by their catalogue code, and
// when each service was last seen passing; promtool-style names (no prefix: the daemon is the scrape job).

import { expect } from 'chai';
import { ConsulHttpClient, consulSettingsFromEnv, silentLogger } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { DesiredStateSource } from '../src/desired/desired-source';
import { ERROR_CODES } from '../src/errors';
import { Healer } from '../src/healer';
import { errorKind } from '../src/metrics';
import { sample } from './healer-process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('healer: the shared daemon metrics', () => {
  let consul: ConsulStandin;
  let client: ConsulHttpClient;
  let dir: string;
  let healer: Healer | undefined;

  beforeEach(async () => {
    consul = await startConsulStandin({ port: 0, node: 'healer-metrics' });
    client = new ConsulHttpClient(consulSettingsFromEnv({}, consul.address), { unavailableAfter: 2 });
    dir = mkdtempSync(join(tmpdir(), 'healer-metrics-'));
  });
  afterEach(async () => {
    await healer?.stop();
    healer = undefined;
    client.close();
    await consul.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reachable 1 while Consul answers; stopped: 0, and errors counted by code; last success per passing service', async () => {
    const file = join(dir, 'desired.json');
    writeFileSync(file, JSON.stringify({ services: { web: { min: 1, scale: { composeProject: 'p', composeFile: file, composeService: 'web' } } } }));
    await fetch(`${consul.url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ ID: 'n:web-1:80', Name: 'web', Port: 80, Check: { TTL: '10m', Status: 'passing' } }) });
    const desired = new DesiredStateSource(file);
    desired.load();
    healer = new Healer({
      desired, consul: client, logger: silentLogger(), leaderLock: false, schedule: false, watchHealth: false,
      backends: { compose: new ComposeBackend({ listContainers: async () => [] }) },
    });
    await healer.start();
    const metrics = () => healer!.metrics.registry.metrics();

    const before = Date.now() / 1000;
    expect((await healer.trigger('test')).error).to.equal(undefined);
    let text = await metrics();
    expect(sample(text, 'consul_sidecars_consul_reachable')).to.equal(1);
    expect(sample(text, 'consul_sidecars_last_success_timestamp_seconds{service="web"}')).to.be.within(Math.floor(before), Date.now() / 1000);
    expect(text).to.not.match(/^consul_sidecars_errors_total\{/m);

    await consul.stop();
    await healer.trigger('test');
    text = await metrics();
    expect(sample(text, 'consul_sidecars_consul_reachable')).to.equal(0);
    expect(sample(text, 'consul_sidecars_errors_total{kind="ERR_CONSUL_UNREACHABLE"}')).to.be.at.least(1);
    expect(text).to.match(/^# TYPE consul_sidecars_errors_total counter$/m);
  });

  it('an error kind is a code of the catalogue; anything else is ERR_UNEXPECTED', () => {
    expect(errorKind(Object.assign(new Error('x'), { code: 'ERR_SWARM_UNAVAILABLE' }))).to.equal('ERR_SWARM_UNAVAILABLE');
    expect(errorKind(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).to.equal('ERR_UNEXPECTED');
    expect(errorKind('text')).to.equal('ERR_UNEXPECTED');
    expect(ERROR_CODES).to.have.property('ERR_UNEXPECTED');
  });
});
