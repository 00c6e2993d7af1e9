import { expect } from 'chai';
import axios from 'axios';
import { Counter } from 'prom-client';
import { createMetricsRegistry, startOpsServer, type OpsServer } from '../src';

describe('core: /metrics and /health', () => {
  let server: OpsServer | undefined;
  afterEach(async () => server?.close());

  it('serves Prometheus text with the daemon prefix and its own metrics, on loopback', async () => {
    const registry = createMetricsRegistry('registrator');
    new Counter({ name: 'registrator_registrations_total', help: 'services registered', registers: [registry] }).inc(3);
    server = await startOpsServer({ registry, port: 0, health: () => ({ ok: true }) });
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await axios.get(`${server.url}/metrics`);
    expect(res.headers['content-type']).to.contain('text/plain');
    expect(res.data).to.contain('registrator_registrations_total 3');
    expect(res.data).to.contain('registrator_process_resident_memory_bytes');
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
