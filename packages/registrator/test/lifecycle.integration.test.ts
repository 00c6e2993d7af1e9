// registrator as a real process on the real Docker engine: stale services after kill -9 converge, SIGTERM, CLI usage.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { waitFor } from '@consul-sidecars/core';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { agentServices, consulPut, killChild, ownedBy, spawnRegistrator, startTestConsul, uniqueName, waitForOwned, type ChildRegistrator, type TestConsul } from './harness';

describe('registrator lifecycle on real Docker @integration', function () {
  this.timeout(60_000);
  let consul: TestConsul;
  const containers: string[] = [];
  let children: ChildRegistrator[] = [];

  const web = (what: string, labels: Record<string, string> = {}): WebContainer => {
    const c = startWebContainer(uniqueName(what), { labels, testLabel: 'registrator' });
    containers.push(c.name);
    return c;
  };
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const c = spawnRegistrator(args, env);
    children.push(c);
    return c;
  };

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

  it('kill -9, containers removed and added, restart: Consul equals reality after the first reconcile; a foreign service is untouched', async () => {
    const host = uniqueName('host');
    const foreign = { ID: `${host}:foreign:1`, Name: 'foreign-db', Address: '127.0.0.9', Port: 5432, Tags: ['primary'] };
    await consulPut(consul, '/agent/service/register', foreign);
    const a = web('a', { SERVICE_NAME: `${host}-svc` });
    const b = web('b', { SERVICE_NAME: `${host}-svc`, SERVICE_CHECK_INTERVAL: 'bogus', 'SERVICE_com.foo': 'x', SERVICE_abc_NAME: 'y', SERVICE_VERSION: '7' });
    const first = run(['-hostname', host, `consul://${consul.address}`]);
    const owned = await waitForOwned(consul, host, [`${host}:${a.name}:80`, `${host}:${b.name}:80`], 15_000);
    const bService = owned.find((s) => s.ID.includes(b.name));
    expect(bService?.Address).to.equal('127.0.0.1');
    expect(bService?.Port).to.equal(b.hostPort);
    expect(bService?.Meta).to.include({ version: '7', 'registrator-container': execFileSync('docker', ['inspect', '-f', '{{.Id}}', b.name], { encoding: 'utf8' }).trim() });
    expect(first.output()).to.include('SERVICE_com.foo');

    first.child.kill('SIGKILL');
    await first.exited;
    removeContainers(a.name);
    const c = web('c', { SERVICE_NAME: `${host}-svc` });
    // While registrator is down, Consul is stale: a is still there, c is not.
    expect((await ownedBy(consul, host)).map((s) => s.ID)).to.include(`${host}:${a.name}:80`);

    const second = run(['-hostname', host, `consul://${consul.address}`]);
    await waitFor(() => second.output().includes('full reconcile done'), { timeoutMs: 15_000, message: 'the first reconcile' });
    const now = (await ownedBy(consul, host)).map((s) => s.ID);
    expect(now).to.deep.equal([`${host}:${b.name}:80`, `${host}:${c.name}:80`].sort());
    const stillForeign = (await agentServices(consul))[foreign.ID];
    expect(stillForeign).to.include({ Service: 'foreign-db', Address: '127.0.0.9', Port: 5432 });
    expect(stillForeign.Tags).to.deep.equal(['primary']);
    await consulPut(consul, `/agent/service/deregister/${encodeURIComponent(foreign.ID)}`);
  });

  it('SIGTERM exits within 5 s with code 0; -deregister-on-exit removes its services first', async () => {
    const host = uniqueName('host');
    const a = web('term', { SERVICE_NAME: `${host}-svc` });
    const child = run(['-hostname', host, '-deregister-on-exit', `consul://${consul.address}`]);
    await waitForOwned(consul, host, [`${host}:${a.name}:80`], 15_000);
    const sent = Date.now();
    child.child.kill('SIGTERM');
    const { code, at } = await child.exited;
    expect(at - sent, 'exit time').to.be.below(5000);
    expect(code).to.equal(0);
    expect(await ownedBy(consul, host)).to.deep.equal([]);
  });

  it('SIGTERM without -deregister-on-exit leaves services registered (gliderlabs behaviour) and exits within 5 s', async () => {
    const host = uniqueName('host');
    const a = web('keep', { SERVICE_NAME: `${host}-svc` });
    const child = run(['-hostname', host, `consul://${consul.address}`]);
    await waitForOwned(consul, host, [`${host}:${a.name}:80`], 15_000);
    const sent = Date.now();
    child.child.kill('SIGTERM');
    const { code, at } = await child.exited;
    expect(at - sent).to.be.below(5000);
    expect(code).to.equal(0);
    expect((await ownedBy(consul, host)).map((s) => s.ID)).to.deep.equal([`${host}:${a.name}:80`]);
    await consulPut(consul, `/agent/service/deregister/${encodeURIComponent(`${host}:${a.name}:80`)}`);
  });

  it('--once --dry-run plans without writing; --once writes and exits 0', async () => {
    const host = uniqueName('host');
    const a = web('once', { SERVICE_NAME: `${host}-svc` });
    const dry = run(['-hostname', host, '--once', '--dry-run', `consul://${consul.address}`]);
    const dryExit = await dry.exited;
    expect(dryExit.code).to.equal(0);
    expect(dry.output()).to.include('would apply').and.to.include(`${host}:${a.name}:80`);
    expect(await ownedBy(consul, host)).to.deep.equal([]);
    const once = run(['-hostname', host, '--once', `consul://${consul.address}`]);
    expect((await once.exited).code).to.equal(0);
    expect((await ownedBy(consul, host)).map((s) => s.ID)).to.deep.equal([`${host}:${a.name}:80`]);
    await consulPut(consul, `/agent/service/deregister/${encodeURIComponent(`${host}:${a.name}:80`)}`);
  });

  it('usage errors exit 2 as Go flag does; --version exits 0', async () => {
    const cases: Array<[string[], number]> = [
      [[], 2],
      [['consul://127.0.0.1:1', 'extra'], 2],
      [['-nosuchflag', 'consul://127.0.0.1:1'], 2],
      [['-deregister', 'sometimes', 'consul://127.0.0.1:1'], 2],
      [['-ttl', '10', 'consul://127.0.0.1:1'], 2],
      [['etcd://127.0.0.1:2379/x'], 2],
      [['--version'], 0],
    ];
    for (const [args, want] of cases) {
      const child = run(args);
      const { code } = await child.exited;
      expect(code, `registrator ${args.join(' ')}: ${child.output()}`).to.equal(want);
    }
  });
});
