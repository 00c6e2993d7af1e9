// kill -9 at every act step (core's crashPoint, CONSUL_SIDECARS_CRASH_AT), restart unarmed: Consul equals the running containers.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { waitFor } from '@consul-sidecars/core';
import { removeContainers, startWebContainer } from '../../../test/support/web-container';
import { CRASH_POINT_NAMES } from '../src/crash-points';
import { agentServices, consulGet, consulPut, killChild, ownedBy, spawnRegistrator, startTestConsul, uniqueName, waitForOwned, type ChildRegistrator, type TestConsul } from './harness';

interface CatalogEntry {
  ServiceID: string;
  ServiceTags: string[] | null;
  ServiceMeta: Record<string, string> | null;
}

describe('registrator killed at every crash point @integration', function () {
  this.timeout(90_000);
  let consul: TestConsul;
  const containers: string[] = [];
  let children: ChildRegistrator[] = [];

  before(async () => {
    consul = await startTestConsul();
  });
  afterEach(async () => {
    await Promise.all(children.map(killChild));
    children = [];
    removeContainers(...containers.splice(0));
  });
  after(async () => {
    await consul?.stop();
  });

  const run = (host: string, env: NodeJS.ProcessEnv = {}): ChildRegistrator => {
    const c = spawnRegistrator(['-hostname', host, `consul://${consul.address}`], env);
    children.push(c);
    return c;
  };
  const web = (host: string, name: string): string => {
    containers.push(name);
    return startWebContainer(name, { labels: { SERVICE_NAME: `${host}-svc` }, testLabel: 'registrator' }).id;
  };
  const kvRaw = async (key: string): Promise<string | undefined> => {
    const res = await fetch(`${consul.url}/v1/kv/${key}?raw`);
    return res.status === 404 ? undefined : res.text();
  };

  it('an unknown crash point is a config error at start (exit 78), naming it', async () => {
    const c = run(uniqueName('host'), { CONSUL_SIDECARS_CRASH_AT: 'registrator.after-regsiter' });
    expect((await c.exited).code).to.equal(78);
    expect(c.output()).to.include('CONSUL_SIDECARS_CRASH_AT="registrator.after-regsiter" names no crash point');
  });

  // One scenario reaches every point in one pass: while registrator was down, a container went (deregister), one was
  // recreated under the same name after `role set master` (register + role-key delete) and one was added (register).
  for (const point of [...CRASH_POINT_NAMES, 'registrator.after-register:2']) {
    it(`${point}: dies by SIGKILL there; restarted unarmed, Consul == the running containers, nothing foreign touched`, async () => {
      const host = uniqueName('host');
      const foreign = { ID: `${host}:foreign:1`, Name: 'foreign-db', Address: '127.0.0.9', Port: 5432, Tags: ['primary'] };
      await consulPut(consul, '/agent/service/register', foreign);
      const foreignRoleKey = `registrator/roles/${host}-other:db:5432`;
      const foreignRole = JSON.stringify({ role: 'master', container: 'f'.repeat(64), node: `${host}-other` });
      await fetch(`${consul.url}/v1/kv/${foreignRoleKey}`, { method: 'PUT', body: foreignRole });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => uniqueName(x));
      const id = (name: string) => `${host}:${name}:80`;
      web(host, a);
      web(host, b);
      const idC = web(host, c);

      const first = run(host);
      await waitForOwned(consul, host, [id(a), id(b), id(c)], 15_000);
      const set = spawnRegistrator(['role', 'set', id(a), 'master', `consul://${consul.address}`]);
      expect((await set.exited).code, set.output()).to.equal(0);
      await waitFor(async () => (await ownedBy(consul, host)).find((s) => s.ID === id(a))?.Tags?.includes('master'), { timeoutMs: 5000, message: 'master tag on a' });
      await killChild(first);

      removeContainers(b);
      execFileSync('docker', ['rm', '-f', a], { stdio: 'ignore' });
      const idA = web(host, a);
      const idD = web(host, d);

      const armed = run(host, { CONSUL_SIDECARS_CRASH_AT: point });
      const died = await Promise.race([armed.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000).unref())]);
      expect(died, `registrator reached ${point} within 20 s:\n${armed.output()}`).to.not.equal(undefined);
      expect(died?.signal, armed.output()).to.equal('SIGKILL');
      expect(armed.output()).to.include(`"crashPoint":"${point.split(':')[0]}"`);

      const restarted = run(host);
      await waitFor(() => restarted.output().includes('full reconcile done'), { timeoutMs: 30_000, message: `the restarted registrator's first reconcile: ${restarted.output()}` });
      const owned = await waitForOwned(consul, host, [id(a), id(c), id(d)], 15_000, `after the restart: ${restarted.output()}`);
      expect(Object.fromEntries(owned.map((s) => [s.ID, s.Meta?.['registrator-container']]))).to.deep.equal({ [id(a)]: idA, [id(c)]: idC, [id(d)]: idD });
      await waitFor(async () => (await kvRaw(`registrator/roles/${id(a)}`)) === undefined, { timeoutMs: 10_000, message: 'the role key of the removed container is deleted' });
      expect(owned.find((s) => s.ID === id(a))?.Tags ?? [], 'the recreated container is no master').to.not.include('master');
      // No duplicates: one catalog instance per running container.
      const catalog = await consulGet<CatalogEntry[]>(consul, `/catalog/service/${host}-svc`);
      expect(catalog.map((e) => e.ServiceID).sort()).to.deep.equal([id(a), id(c), id(d)].sort());
      const all = await agentServices(consul);
      expect(all[foreign.ID], 'the foreign service').to.deep.include({ Service: 'foreign-db', Address: '127.0.0.9', Port: 5432, Tags: ['primary'] });
      expect(await kvRaw(foreignRoleKey), 'another node\'s role key').to.equal(foreignRole);
      await consulPut(consul, `/agent/service/deregister/${encodeURIComponent(foreign.ID)}`);
      await fetch(`${consul.url}/v1/kv/${foreignRoleKey}`, { method: 'DELETE' });
    });
  }
});
