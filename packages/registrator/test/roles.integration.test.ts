// Runtime roles: `registrator role promote` flips master/slave tags on two running instances within 1 s, containers untouched.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { waitFor } from '@consul-sidecars/core';
import { startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { roleCommand } from '../src/cli';
import { consulGet, integrationSuite, spawnRegistrator, startInProcess, uniqueName, waitForOwned } from './harness';

interface CatalogEntry {
  ServiceID: string;
  ServiceTags: string[] | null;
  ServiceMeta: Record<string, string> | null;
}

describe('registrator runtime roles @integration', function () {
  this.timeout(60_000);
  const suite = integrationSuite();

  const web = (host: string, what: string, labels: Record<string, string>): WebContainer => {
    const c = startWebContainer(uniqueName(what), { labels: { SERVICE_NAME: `${host}-redis`, ...labels }, testLabel: 'registrator' });
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
    // The roles live in KV, in one place per instance.
    const kv = await consulGet<Array<{ Key: string; Value: string }>>(suite.consul, `/kv/registrator/roles/${host}?recurse`);
    expect(Object.fromEntries(kv.map((e) => [e.Key, Buffer.from(e.Value, 'base64').toString()]))).to.deep.equal({ [`registrator/roles/${idA}`]: 'slave', [`registrator/roles/${idB}`]: 'master' });
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
  });
});
