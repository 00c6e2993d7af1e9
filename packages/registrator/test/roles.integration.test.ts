// Runtime roles: `registrator role promote` flips master/slave tags on two running instances within 1 s, containers untouched.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { waitFor } from '@consul-sidecars/core';
import { startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { roleCommand } from '../src/cli';
import { consulGet, integrationSuite, killChild, spawnRegistrator, startInProcess, uniqueName, waitForOwned } from './harness';

interface CatalogEntry {
  ServiceID: string;
  ServiceTags: string[] | null;
  ServiceMeta: Record<string, string> | null;
}

describe('registrator runtime roles @integration', function () {
  this.timeout(60_000);
  const suite = integrationSuite();

  const web = (host: string, what: string, labels: Record<string, string>, name = uniqueName(what)): WebContainer => {
    const c = startWebContainer(name, { labels: { SERVICE_NAME: `${host}-redis`, ...labels }, testLabel: 'registrator' });
    suite.containers.push(c.name);
    return c;
  };
  const containerId = (name: string) => execFileSync('docker', ['inspect', '-f', '{{.Id}}', name], { encoding: 'utf8' }).trim();
  const roleTags = async (service: string): Promise<Record<string, string[]>> => {
    const entries = await consulGet<CatalogEntry[]>(suite.consul, `/catalog/service/${encodeURIComponent(service)}`);
    return Object.fromEntries(entries.map((e) => [e.ServiceID, (e.ServiceTags ?? []).filter((t) => t === 'master' || t === 'slave')]));
  };

  it('SERVICE_ROLE sets the initial tag; promote flips master and slave within 1 s; container ids unchanged', async () => {
    const host = uniqueName('host');
    const a = web(host, 'a', { SERVICE_ROLE: 'master', SERVICE_TAGS: 'redis' });
    const b = web(host, 'b', { SERVICE_ROLE: 'slave', SERVICE_TAGS: 'redis' });
    const idA = `${host}:${a.name}:80`;
    const idB = `${host}:${b.name}:80`;
    const before = { a: containerId(a.name), b: containerId(b.name) };
    suite.running = await startInProcess(suite.consul, ['-hostname', host]);
    await waitForOwned(suite.consul, host, [idA, idB], 15_000);
    await waitFor(async () => isDeepStrictEqual(await roleTags(`${host}-redis`), { [idA]: ['master'], [idB]: ['slave'] }), { timeoutMs: 5000, message: 'initial roles from labels' });

    const started = Date.now();
    const code = await roleCommand(['promote', idB, `consul://${suite.consul.address}`], process.env, new PassThrough());
    expect(code).to.equal(0);
    await waitFor(async () => isDeepStrictEqual(await roleTags(`${host}-redis`), { [idA]: ['slave'], [idB]: ['master'] }), { timeoutMs: 1000, intervalMs: 20, message: 'roles flipped within 1 s' });
    const elapsed = Date.now() - started;
    expect(elapsed).to.be.below(1000);

    const entries = await consulGet<CatalogEntry[]>(suite.consul, `/catalog/service/${encodeURIComponent(`${host}-redis`)}`);
    expect(entries.every((e) => (e.ServiceTags ?? []).includes('redis')), 'other tags kept').to.equal(true);
    expect({ a: containerId(a.name), b: containerId(b.name) }).to.deep.equal(before);
    const metaIds = Object.fromEntries(entries.map((e) => [e.ServiceID, e.ServiceMeta?.['registrator-container']]));
    expect(metaIds).to.deep.equal({ [idA]: before.a, [idB]: before.b });
    // The roles live in KV, in one place per instance, each bound to the container that had it.
    const kv = await consulGet<Array<{ Key: string; Value: string }>>(suite.consul, `/kv/registrator/roles/${host}?recurse`);
    expect(Object.fromEntries(kv.map((e) => [e.Key, JSON.parse(Buffer.from(e.Value, 'base64').toString()) as unknown]))).to.deep.equal({
      [`registrator/roles/${idA}`]: { role: 'slave', container: before.a, node: host },
      [`registrator/roles/${idB}`]: { role: 'master', container: before.b, node: host },
    });
  });

  it('role set changes one instance; the bin exits 0, a bad role exits 1, bad usage 2', async () => {
    const host = uniqueName('host');
    const a = web(host, 'a', {});
    const idA = `${host}:${a.name}:80`;
    suite.running = await startInProcess(suite.consul, ['-hostname', host]);
    await waitForOwned(suite.consul, host, [idA], 15_000);
    const set = spawnRegistrator(['role', 'set', idA, 'master', `consul://${suite.consul.address}`]);
    expect((await set.exited).code, set.output()).to.equal(0);
    await waitFor(async () => (await roleTags(`${host}-redis`))[idA]?.[0] === 'master', { timeoutMs: 2000, message: 'role set applied' });
    const bad = spawnRegistrator(['role', 'set', idA, 'not a tag!', `consul://${suite.consul.address}`]);
    expect((await bad.exited).code, bad.output()).to.equal(1);
    const usage = spawnRegistrator(['role', 'promote']);
    expect((await usage.exited).code).to.equal(2);
    const unknown = spawnRegistrator(['role', 'set', `${host}:nobody:80`, 'master', `consul://${suite.consul.address}`]);
    expect((await unknown.exited).code, unknown.output()).to.equal(1);
    expect(unknown.output()).to.include(`no service instance with ID "${host}:nobody:80"`);
  });

  // Issue #14, item 1: a role belongs to one container instance, never to the next container with the same name.
  const kvRole = async (serviceId: string): Promise<string | undefined> => {
    const res = await fetch(`${suite.consul.url}/v1/kv/registrator/roles/${encodeURIComponent(serviceId)}?raw`);
    if (res.status === 404) return undefined;
    return res.text();
  };
  const recreate = (host: string, name: string): string => {
    execFileSync('docker', ['stop', '-t', '1', name], { stdio: 'ignore' });
    execFileSync('docker', ['rm', name], { stdio: 'ignore' });
    return web(host, '', {}, name).id;
  };
  const registeredFor = async (serviceId: string, container: string) =>
    waitFor(async () => {
      const entries = await consulGet<CatalogEntry[]>(suite.consul, `/catalog/service/${encodeURIComponent(serviceId.split(':')[0])}-redis`);
      const e = entries.find((x) => x.ServiceID === serviceId);
      return e?.ServiceMeta?.['registrator-container'] === container ? e : undefined;
    }, { timeoutMs: 15_000, message: `${serviceId} registered for the new container` });

  for (const down of [false, true]) {
    it(`role set master, docker stop + rm, a new container with the same name${down ? ' while registrator is down' : ''}: no master tag, the key is gone`, async () => {
      const host = uniqueName('host');
      const a = web(host, 'a', {});
      const id = `${host}:${a.name}:80`;
      let daemon = spawnRegistrator(['-hostname', host, `consul://${suite.consul.address}`]);
      try {
        await waitForOwned(suite.consul, host, [id], 15_000);
        const set = spawnRegistrator(['role', 'set', id, 'master', `consul://${suite.consul.address}`]);
        expect((await set.exited).code, set.output()).to.equal(0);
        await waitFor(async () => (await roleTags(`${host}-redis`))[id]?.[0] === 'master', { timeoutMs: 5000, message: 'master tag applied' });
        if (down) await killChild(daemon);

        const renewed = recreate(host, a.name);
        if (down) daemon = spawnRegistrator(['-hostname', host, `consul://${suite.consul.address}`]);
        await registeredFor(id, renewed);
        await waitFor(async () => (await kvRole(id)) === undefined, { timeoutMs: 5000, message: `the role key of the removed container is deleted (now ${await kvRole(id)})` });
        expect((await roleTags(`${host}-redis`))[id], 'no master tag inherited').to.deep.equal([]);
      } finally {
        await killChild(daemon);
      }
    });
  }
});
