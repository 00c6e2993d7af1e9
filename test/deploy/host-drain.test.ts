// host-drain / host-join against Consul (the stand-in, or the agent at CONSUL_HTTP_ADDR): node maintenance on,
// wait until "the healer" (this test, registering instances on another node) restores the passing count.

import { expect } from 'chai';
import { join } from 'node:path';
import { startTestConsul, type TestConsul } from '../support/consul';
import { randomSuffix, runScript, SCRIPTS } from './deploy-fixtures';

describe('deploy scripts: host-drain and host-join @integration', function () {
  this.timeout(60_000);
  const suffix = randomSuffix();
  const service = `drain-web-${suffix}`;
  const otherNode = `deploy-other-${suffix}`;
  const localIds = [`drain-${suffix}-1`, `drain-${suffix}-2`];
  let consul: TestConsul;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${consul.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  };
  const passing = async (node?: string) => {
    const entries = (await call('GET', `/v1/health/service/${service}?passing`)) as Array<{ Node: { Node: string } }>;
    return entries.filter((e) => node === undefined || e.Node.Node === node).length;
  };
  const nodeInMaintenance = async () => Object.keys((await call('GET', '/v1/agent/checks')) as object).includes('_node_maintenance');
  const registerElsewhere = (n: number) =>
    call('PUT', '/v1/catalog/register', {
      Node: otherNode,
      Address: '127.0.0.2',
      Service: { ID: `${service}-other-${n}`, Service: service, Address: '127.0.0.2', Port: 8000 + n },
      Checks: [{ CheckID: `${service}-other-${n}-alive`, Name: 'alive', Status: 'passing', ServiceID: `${service}-other-${n}` }],
    });
  const env = () => ({ CONSUL_HTTP_ADDR: consul.url });

  before(async function () {
    consul = await startTestConsul();
    for (const [i, id] of localIds.entries()) {
      await call('PUT', '/v1/agent/service/register', { ID: id, Name: service, Address: '127.0.0.1', Port: 9000 + i, Check: { TTL: '10m' } });
      await call('PUT', `/v1/agent/check/pass/service:${encodeURIComponent(id)}`);
    }
    expect(await passing()).to.equal(2);
  });

  after(async function () {
    if (!consul) return;
    await call('PUT', '/v1/agent/maintenance?enable=false').catch(() => undefined);
    for (const id of localIds) await call('PUT', `/v1/agent/service/deregister/${id}`).catch(() => undefined);
    await call('PUT', '/v1/catalog/deregister', { Node: otherNode }).catch(() => undefined);
    await consul.close();
  });

  it('host-drain gives up, exit 1, when capacity does not come back in time, and leaves the node in maintenance', async function () {
    const result = await runScript(join(SCRIPTS, 'host-drain'), ['--service', service, '--min-passing', '5', '--timeout', '2s'], env());
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.match(/stays in maintenance/);
    expect(await nodeInMaintenance()).to.equal(true);
    expect(await passing()).to.equal(0);
    await call('PUT', '/v1/agent/maintenance?enable=false');
    expect(await passing()).to.equal(2);
  });

  it('host-drain puts the node in maintenance and returns once the passing count is back elsewhere', async function () {
    let exited = false;
    const drain = runScript(join(SCRIPTS, 'host-drain'), ['--service', service, '--timeout', '30s', '--reason', `test ${suffix}`], env()).finally(() => {
      exited = true;
    });
    const deadline = Date.now() + 15_000;
    while (!(await nodeInMaintenance())) {
      if (Date.now() > deadline) throw new Error('host-drain did not put the node in maintenance');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await passing()).to.equal(0);
    await registerElsewhere(1);
    // one of two back: it must still be waiting (it polls each second; give it two polls)
    await new Promise((r) => setTimeout(r, 2500));
    expect(exited, 'host-drain returned with only 1 of 2 instances back').to.equal(false);
    await registerElsewhere(2);
    const result = await drain;
    expect(result.code, result.output).to.equal(0);
    expect(result.output).to.match(/drained/);
    expect(await passing(otherNode)).to.equal(2);
    expect(await nodeInMaintenance()).to.equal(true);
  });

  it('host-join takes the node out of maintenance and waits until its instances pass again', async function () {
    // Self-sufficient when run alone: the other node's two instances (re-registering them is a no-op).
    await registerElsewhere(1);
    await registerElsewhere(2);
    if (!(await nodeInMaintenance())) await call('PUT', '/v1/agent/maintenance?enable=true&reason=host-join%20test');
    expect(await passing(), 'only the other node passes while this one is in maintenance').to.equal(2);
    expect(await passing(otherNode)).to.equal(2);
    const result = await runScript(join(SCRIPTS, 'host-join'), ['--service', service, '--timeout', '20s'], env());
    expect(result.code, result.output).to.equal(0);
    expect(await nodeInMaintenance()).to.equal(false);
    expect(await passing()).to.equal(4);
  });
});
