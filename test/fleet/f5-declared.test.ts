// Issue #20's acceptance for pools declared from Consul, through the real chain on one host: real Docker containers
// whose SERVICE_TAGS carry the declaration -> the real registrator process -> a Consul stand-in -> the real f5-sync
// process -> the BIG-IP stand-in. The virtual server, pool and members come from the declaration alone; the master
// (role tag, priority group 10) takes the new connections; redeploying without the declaration removes only what
// f5-sync made, and a hand-made virtual server and pool survive.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../packages/core/src';
import { startBigipStandin, type BigipStandin } from '../../packages/bigip-standin/src';
import { startConsulStandin, type ConsulStandin } from '../../packages/consul-standin/src';
import { BIN } from '../support/fleet/fleet';
import { removeContainers, startWebContainer } from '../support/web-container';

interface Child {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, output: () => out, exited };
}

async function stop(c: Child | undefined): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGKILL');
  await c.exited;
}

describe('pools declared in SERVICE_TAGS, through registrator, Consul and f5-sync to the BIG-IP @integration', function () {
  this.timeout(90_000);
  const id = `f5decl-${randomBytes(3).toString('hex')}`;
  const service = `${id}-web`;
  const pool = `${id}_pool`.replace(/-/g, '_');
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const containers: string[] = [];
  let dir: string;
  let consul: ConsulStandin;
  let bigip: BigipStandin;
  let registrator: Child | undefined;
  let f5: Child | undefined;

  const hand = async (method: string, path: string, body?: unknown) => {
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = https.request(`${bigip.url}${path}`, { method, ca: bigip.caPem, auth: `admin:${password}`, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      request.on('error', reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  };
  const poolNow = () => bigip.snapshot().pools.find((p) => p.fullPath === `/Common/${pool}`) as { description?: string; members: Array<{ name: string; priorityGroup: number; session: string; description?: string }> } | undefined;
  const virtual = (name: string) => bigip.snapshot().virtuals.find((v) => v.fullPath === `/Common/${name}`) as Record<string, unknown> | undefined;
  const web = (name: string, tags: string[]) => {
    containers.push(name);
    return startWebContainer(name, { env: { SERVICE_NAME: service, SERVICE_TAGS: tags.join(',') }, testLabel: id });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `${id}-`));
    consul = await startConsulStandin({ port: 0, node: id });
    bigip = await startBigipStandin({ port: 0, user: 'admin', password, tls: true, caOut: join(dir, 'ca.pem') });
    registrator = run(BIN.registrator, ['-ip', '127.0.0.1', '-hostname', id, '-resync', '2', `consul://${consul.address}`], { LOG_LEVEL: 'info' });
    const config = join(dir, 'f5-sync.json');
    writeFileSync(config, JSON.stringify({
      consul: { address: consul.url },
      bigip: { url: bigip.url, username: 'admin', caFile: join(dir, 'ca.pem') },
      pools: [],
      declarations: { enabled: true },
      drainPeriod: '1s',
      debounce: { min: '50ms', max: '300ms' },
      resyncInterval: '2s',
      retry: { attempts: 3, baseDelay: '100ms', maxDelay: '500ms' },
      leaderLock: { enabled: false },
    }));
    f5 = run(BIN.f5sync, ['--config', config], { BIGIP_PASSWORD: password });
  });

  after(async () => {
    await stop(f5);
    await stop(registrator);
    removeContainers(...containers);
    await bigip?.stop();
    await consul?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates virtual server, pool and members from the declaration; the master takes the new connections', async () => {
    // Made by hand before anything declares: must come through untouched.
    await hand('POST', '/mgmt/tm/ltm/pool', { name: `${id}_hand_pool`.replace(/-/g, '_') });
    await hand('POST', '/mgmt/tm/ltm/virtual', { name: `${id}_hand_vs`.replace(/-/g, '_'), destination: '10.0.0.41:80', pool: `${id}_hand_pool`.replace(/-/g, '_'), description: 'made by hand' });
    const declaration = [`f5-pool=${pool}`, 'f5-virtual=10.0.0.40:80'];
    const master = web(`${id}-a`, ['master', ...declaration]);
    web(`${id}-b`, ['slave', ...declaration]);
    await waitFor(() => poolNow()?.members.length === 2 && virtual(`${pool}_vs`) !== undefined, {
      timeoutMs: 30_000,
      message: `declared pool with both members and its virtual server (f5-sync said: ${f5?.output().slice(-2000)})`,
    });
    expect(poolNow()!.description).to.equal(`managed by f5-sync, declared by Consul service ${service}`);
    expect(virtual(`${pool}_vs`)).to.deep.include({ destination: '/Common/10.0.0.40:80', pool: `/Common/${pool}`, description: `f5-sync:${service}` });
    const byName = Object.fromEntries(poolNow()!.members.map((m) => [m.name, m]));
    expect(byName[`127.0.0.1:${master.hostPort}`]?.priorityGroup).to.equal(10);
    expect(bigip.traffic(`/Common/${pool}`).receiving).to.deep.equal([`127.0.0.1:${master.hostPort}`]);
  });

  it('redeployed without the declaration: drained, then pool and virtual server removed; the hand-made ones survive', async () => {
    removeContainers(...containers.splice(0));
    web(`${id}-c`, ['master']);
    web(`${id}-d`, ['slave']);
    await waitFor(() => poolNow() === undefined && virtual(`${pool}_vs`) === undefined, { timeoutMs: 30_000, message: `declared pool and virtual server removed (f5-sync said: ${f5?.output().slice(-2000)})` });
    expect(virtual(`${id}_hand_vs`.replace(/-/g, '_'))).to.deep.include({ description: 'made by hand', pool: `/Common/${id}_hand_pool`.replace(/-/g, '_') });
    expect(bigip.snapshot().pools.map((p) => p.fullPath)).to.include(`/Common/${id}_hand_pool`.replace(/-/g, '_'));
    // The service is still in Consul (the new containers), just no longer declaring.
    const services = (await (await fetch(`${consul.url}/v1/catalog/services`)).json()) as Record<string, string[]>;
    expect(services[service]).to.include('master');
    expect(f5!.output()).to.match(/declaration gone: draining and removing/);
    expect(f5!.output()).to.match(/removed pool \(its declaration is gone\)/);
  });
});
