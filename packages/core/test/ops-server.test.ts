import { expect } from 'chai';
import axios from 'axios';
import { Counter } from 'prom-client';
import { spawnSync } from 'node:child_process';
import { createDaemonMetrics, createLeaderMetric, createMetricsRegistry, startOpsServer, type OpsServer } from '../src';

describe('core: /metrics and /health', () => {
  let server: OpsServer | undefined;
  afterEach(async () => server?.close());

  it("serves Prometheus text with the standard process and Node.js names, the daemon's own metrics and its build info, on loopback", async () => {
    const registry = createMetricsRegistry('registrator', '1.2.3');
    new Counter({ name: 'registrator_registrations_total', help: 'services registered', registers: [registry] }).inc(3);
    server = await startOpsServer({ registry, port: 0, health: () => ({ ok: true }) });
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await axios.get(`${server.url}/metrics`);
    expect(res.headers['content-type']).to.contain('text/plain');
    expect(res.data).to.contain('registrator_registrations_total 3');
    expect(res.data).to.match(/^process_resident_memory_bytes \d+/m).and.match(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(res.data).not.to.contain('registrator_process_');
    expect(res.data).to.contain('consul_sidecars_build_info{daemon="registrator",version="1.2.3"} 1');
  });

  it('passes promtool check metrics (no gauge named like a counter), shared daemon metrics included', async () => {
    const registry = createMetricsRegistry('f5-sync');
    const shared = createDaemonMetrics(registry, { unitLabel: 'pool' });
    createLeaderMetric(registry).set(1);
    shared.consulReachable.set(1);
    shared.lastSuccess.set({ pool: '/Common/web' }, 1_700_000_000);
    shared.errors.inc({ kind: 'ERR_CONSUL_UNREACHABLE' });
    server = await startOpsServer({ registry, port: 0, health: () => ({ ok: true }) });
    const text = (await axios.get(`${server.url}/metrics`)).data as string;
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error, 'promtool (apt-get install prometheus)').to.equal(undefined);
    expect(`${lint.stdout}${lint.stderr}`.trim()).to.equal('');
    expect(lint.status).to.equal(0);
    // Anchored: the HELP line reads 'consul_sidecars_leader 1 while ...' too.
    expect(text).to.match(/^consul_sidecars_leader 1$/m).and.match(/^consul_sidecars_errors_total\{kind="ERR_CONSUL_UNREACHABLE"\} 1$/m);
    // prom-client's own defaults fail promtool; the registry must not serve them.
    const raw = spawnSync('promtool', ['check', 'metrics'], { input: '# HELP nodejs_active_handles_total x\n# TYPE nodejs_active_handles_total gauge\nnodejs_active_handles_total 1\n', encoding: 'utf8' });
    expect(raw.status, 'promtool catches the misnamed gauge').to.not.equal(0);
  });

  it('answers /health 200 when healthy and 503 with the report when not', async () => {
    let healthy = true;
    server = await startOpsServer({ registry: createMetricsRegistry('t'), port: 0, health: () => ({ ok: healthy, consul: healthy ? 'up' : 'unreachable' }) });
    const ok = await axios.get(`${server.url}/health`);
    expect(ok.status).to.equal(200);
    healthy = false;
    const bad = await axios.get(`${server.url}/health`, { validateStatus: () => true });
    expect(bad.status).to.equal(503);
    expect(bad.data).to.deep.equal({ ok: false, consul: 'unreachable' });
  });

  it('serves extra routes a daemon adds, such as a trigger', async () => {
    let triggered = 0;
    server = await startOpsServer({
      registry: createMetricsRegistry('t'), port: 0, health: () => ({ ok: true }),
      routes: { 'POST /trigger': (_req, res) => void (triggered++, res.writeHead(202).end()) },
    });
    expect((await axios.post(`${server.url}/trigger`)).status).to.equal(202);
    expect(triggered).to.equal(1);
  });

  it('rejects writes and unknown paths', async () => {
    server = await startOpsServer({ registry: createMetricsRegistry('t'), port: 0, health: () => ({ ok: true }) });
    expect((await axios.post(`${server.url}/metrics`, '', { validateStatus: () => true })).status).to.equal(405);
    expect((await axios.get(`${server.url}/nope`, { validateStatus: () => true })).status).to.equal(404);
  });
});
