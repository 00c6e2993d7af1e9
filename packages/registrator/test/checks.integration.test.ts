// Checks on the real engine: a Docker HEALTHCHECK fed into a TTL check from health_status events, -ttl heartbeats, several checks.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { waitFor } from '@consul-sidecars/core';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { consulGet, integrationSuite, startInProcess, uniqueName, waitForOwned } from './harness';

interface AgentCheckView {
  CheckID: string;
  ServiceID: string;
  Status: string;
  Output: string;
}

describe('registrator checks on real Docker @integration', function () {
  this.timeout(60_000);
  const suite = integrationSuite();

  const checks = () => consulGet<Record<string, AgentCheckView>>(suite.consul, '/agent/checks');

  it('HEALTHCHECK -> TTL check following health_status; -ttl heartbeat passing; HTTP and TCP checks beside them', async () => {
    const host = uniqueName('host');
    const name = uniqueName('health');
    suite.containers.push(name);
    execFileSync('docker', [
      'run', '-d', '--name', name, '-p', '127.0.0.1::80', '--label', 'consul-sidecars.test=registrator', '--label', `consul-sidecars.test.owner=${process.pid}`,
      '--label', `SERVICE_NAME=${host}-svc`, '--label', 'SERVICE_CHECK_HTTP=/', '--label', 'SERVICE_CHECK_TCP=true', '--label', 'SERVICE_CHECK_INTERVAL=1s',
      '--health-cmd', 'test -f /www/ok', '--health-interval', '1s', '--health-retries', '1',
      ensureBusyboxImage(), 'sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www',
    ], { encoding: 'utf8' });
    const id = `${host}:${name}:80`;
    suite.running = await startInProcess(suite.consul, ['-hostname', host, '-ttl', '30', '-ttl-refresh', '10']);
    await waitForOwned(suite.consul, host, [id], 15_000);
    const ids = (all: Record<string, AgentCheckView>) => Object.values(all).filter((c) => c.ServiceID === id).map((c) => c.CheckID).sort();
    expect(ids(await checks())).to.deep.equal([`service:${id}:docker-health`, `service:${id}:http`, `service:${id}:registrator-ttl`, `service:${id}:tcp`]);
    expect((await checks())[`service:${id}:registrator-ttl`].Status).to.equal('passing');
    await waitFor(async () => (await checks())[`service:${id}:docker-health`]?.Status === 'critical', { timeoutMs: 15_000, message: 'unhealthy -> critical' });

    execFileSync('docker', ['exec', name, 'touch', '/www/ok']);
    await waitFor(async () => (await checks())[`service:${id}:docker-health`]?.Status === 'passing', { timeoutMs: 20_000, message: 'healthy -> passing' });
    await waitFor(async () => (await checks())[`service:${id}:http`]?.Status === 'passing', { timeoutMs: 10_000, message: 'the HTTP check run by the agent' });

    execFileSync('docker', ['exec', name, 'rm', '/www/ok']);
    await waitFor(async () => (await checks())[`service:${id}:docker-health`]?.Status === 'critical', { timeoutMs: 20_000, message: 'unhealthy again -> critical' });
    // Health changes are TTL updates, not re-registrations: the service was registered once.
    const service = await consulGet<{ ModifyIndex?: number; CreateIndex?: number }[]>(suite.consul, `/catalog/service/${encodeURIComponent(`${host}-svc`)}`);
    expect(service).to.have.length(1);
  });
});
