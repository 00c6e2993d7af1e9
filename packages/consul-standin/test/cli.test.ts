// The consul-standin command: prints its address, answers, and exits 0 on SIGTERM within 5 s.

import { expect } from 'chai';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { Client, eventually } from './support';
import { parseAgentArgs, parseArgs, parseServerArgs } from '../src/cli';

const bin = path.join(__dirname, '..', 'bin', 'consul-standin.js');
const built = path.join(__dirname, '..', 'dist', 'cli.js');

describe('consul-standin command line', function () {
  it('parses its flags', () => {
    expect(parseArgs(['--port', '18500', '--node', 'n1', '--host=0.0.0.0', '--token', 't', '--datacenter', 'dc2'])).to.deep.include({
      port: 18500,
      node: 'n1',
      host: '0.0.0.0',
      managementToken: 't',
      datacenter: 'dc2',
    });
    expect(() => parseArgs(['--bogus'])).to.throw(/unknown flag --bogus/);
    expect(() => parseArgs(['--port'])).to.throw(/missing value/);
  });

  it('follows the CLI convention: help on stdout with exit 0, -version, usage errors exit 2', function () {
    if (!existsSync(built)) this.skip();
    for (const args of [['--help'], ['-h'], ['server', '-help'], ['agent', '--help']]) {
      const run = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
      expect(run.status, args.join(' ')).to.equal(0);
      expect(run.stdout, args.join(' ')).to.match(/^usage: consul-standin/);
      expect(run.stderr).to.equal('');
    }
    const version = spawnSync(process.execPath, [bin, '-version'], { encoding: 'utf8' });
    expect(version.status).to.equal(0);
    expect(version.stdout).to.match(/^consul-standin \d+\.\d+\.\d+\n$/);
    const bogus = spawnSync(process.execPath, [bin, '--bogus'], { encoding: 'utf8' });
    expect(bogus.status).to.equal(2);
    expect(bogus.stderr).to.match(/^consul-standin: unknown flag --bogus/);
  });

  it('takes its management token from a file (--token-file, CONSUL_STANDIN_TOKEN_FILE), never needing argv; --token warns; a bad file exits 78', async function () {
    if (!existsSync(built)) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'standin-token-'));
    const children: ChildProcess[] = [];
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 's3cret-management-token\n', { mode: 0o600 });
      for (const [args, env] of [[['--token-file', tokenFile], {}], [[], { CONSUL_STANDIN_TOKEN_FILE: tokenFile }]] as Array<[string[], NodeJS.ProcessEnv]>) {
        const child = spawn(process.execPath, [bin, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
        children.push(child);
        let stdout = '';
        child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr!.resume();
        const url = await eventually('the address line', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 10_000);
        const client = new Client(url);
        expect((await client.get('/v1/kv/x')).status, 'no token: refused').to.equal(403);
        expect((await client.get('/v1/kv/x', { token: 's3cret-management-token' })).status, 'the token of the file: allowed (no such key)').to.equal(404);
        child.kill('SIGTERM');
      }
      const warned = spawn(process.execPath, [bin, '--port', '0', '--token', 'argv-token'], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(warned);
      let warnedErr = '';
      warned.stderr!.on('data', (chunk: Buffer) => (warnedErr += chunk.toString()));
      warned.stdout!.resume();
      await eventually('the --token warning', async () => (/--token puts the management token on the command line/.test(warnedErr) ? true : undefined), 10_000);
      expect(warnedErr).not.to.contain('argv-token');
      warned.kill('SIGTERM');
      for (const [args, env] of [[['--token-file', join(dir, 'missing')], {}], [[], { CONSUL_STANDIN_TOKEN_FILE: join(dir, 'missing') }]] as Array<[string[], NodeJS.ProcessEnv]>) {
        const bad = spawnSync(process.execPath, [bin, '--port', '0', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
        expect(bad.status, args.join(' ') || 'env').to.equal(78);
        expect(bad.stderr).to.match(/missing: cannot read it \(ENOENT\)/);
      }
      writeFileSync(join(dir, 'empty'), '\n');
      const empty = spawnSync(process.execPath, [bin, '--port', '0', '--token-file', join(dir, 'empty')], { encoding: 'utf8' });
      expect(empty.status).to.equal(78);
      expect(empty.stderr).to.match(/holds no token/);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts, prints its address, answers, and stops cleanly on SIGTERM', async function () {
    if (!existsSync(built)) {
      this.test!.title += ' (skipped: run `tsc -b packages/consul-standin` first)';
      this.skip();
    }
    const child = spawn(process.execPath, [bin, '--port', '0', '--node', 'cli-node'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await eventually('the address line', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 10_000);
      const client = new Client(url);
      const self = await client.get('/v1/agent/self');
      expect(self.json().Config.NodeName).to.equal('cli-node');
      const hanging = client.get('/v1/kv/held?index=999999&wait=60s').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      expect(Date.now() - stoppedAt).to.be.lessThan(5000);
      await hanging;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('consul-standin server / agent command lines', function () {
  this.timeout(20_000);
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  function start(args: string[]): { child: ChildProcess; url: Promise<string>; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = eventually('the address line', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 10_000);
    return { child, url, exited };
  }

  it('parses server and agent flags (one dash or two, Go durations or ms)', () => {
    expect(parseServerArgs(['-port', '0', '-bind', '127.0.0.2', '-failure-detection', '2s', '--federate', 'dc2=127.0.0.1:9500', '-datacenter=dc1']))
      .to.deep.include({ port: 0, host: '127.0.0.2', failureDetectionMs: 2000, datacenter: 'dc1', federation: [{ datacenter: 'dc2', address: '127.0.0.1:9500' }] });
    expect(parseAgentArgs(['-server-addr', '127.0.0.1:8500', '-node', 'h1', '-bind', '127.0.0.3', '-heartbeat-interval', '250']))
      .to.deep.include({ serverAddress: '127.0.0.1:8500', node: 'h1', host: '127.0.0.3', port: 8500, heartbeatIntervalMs: 250 });
    expect(() => parseAgentArgs(['-node', 'x'])).to.throw(/missing -server-addr/);
    expect(() => parseServerArgs(['-federate', 'nodc'])).to.throw(/invalid value for --federate/);
    expect(() => parseServerArgs(['-failure-detection', 'soon'])).to.throw(/invalid value for --failure-detection/);
  });

  it('a server and an agent process: the agent forwards, a SIGKILLed agent fails its node, SIGTERM leaves and exits 0', async function () {
    if (!existsSync(built)) {
      this.test!.title += ' (skipped: run `tsc -b packages/consul-standin` first)';
      this.skip();
    }
    const server = start(['server', '-port', '0', '-node', 'srv', '-failure-detection', '1s']);
    const serverClient = new Client(await server.url);
    const serverAddr = new URL(await server.url).host;
    const serf = async (node: string) =>
      (await serverClient.get(`/v1/health/node/${node}`)).json().find((c: { CheckID: string }) => c.CheckID === 'serfHealth')?.Status;

    const first = start(['agent', '-server-addr', serverAddr, '-node', 'cli-host', '-bind', '127.0.0.2', '-port', '0']);
    const agentClient = new Client(await first.url);
    expect((await agentClient.put('/v1/agent/service/register', { Name: 'cli-web', Port: 80 })).status).to.equal(200);
    await eventually('the service in the server\'s catalog', async () => (await serverClient.get('/v1/catalog/service/cli-web')).json().length === 1);
    expect((await agentClient.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node)).to.deep.equal(['cli-host', 'srv']);
    first.child.kill('SIGKILL');
    await eventually('serfHealth critical', async () => (await serf('cli-host')) === 'critical', 5000, 50);

    const second = start(['agent', '-server-addr', serverAddr, '-node', 'cli-host', '-bind', '127.0.0.2', '-port', '0']);
    await second.url;
    await eventually('serfHealth passing again', async () => (await serf('cli-host')) === 'passing', 5000, 50);
    second.child.kill('SIGTERM');
    expect(await second.exited).to.equal(0);
    expect((await serverClient.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node)).to.deep.equal(['srv']);
    const members = (await serverClient.get('/v1/agent/members')).json();
    expect(members.find((m: { Name: string }) => m.Name === 'cli-host').Status).to.equal(3);
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
  });
});
