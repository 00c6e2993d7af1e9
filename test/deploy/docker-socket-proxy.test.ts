// The stack gives registrator a read-only Docker API: Debian's haproxy with compose/docker-socket-proxy/haproxy.cfg
// in front of the engine's socket. What registrator reads passes; every write, and reads it does not need (logs,
// archives, exec), is refused with 403 before it reaches the engine. registrator registers through it.

import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../packages/core/src';
import { startTestConsul, type TestConsul } from '../support/consul';
import { ensureBusyboxImage } from '../support/docker-images';
import { randomSuffix, REPO } from './deploy-fixtures';

const CONFIG = join(REPO, 'compose', 'docker-socket-proxy', 'haproxy.cfg');
const REGISTRATOR = join(REPO, 'packages', 'registrator', 'bin', 'registrator.js');

function request(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: body ? { 'Content-Type': 'application/json' } : {}, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      if (/\/events\b/.test(path)) {
        // A stream that stays open: its status line is the answer.
        resolve({ status: res.statusCode ?? 0, body: '' });
        res.destroy();
        return;
      }
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('read-only Docker API for registrator (filtering socket proxy) @integration', function () {
  this.timeout(60_000);
  let work: string;
  let socket: string;
  let haproxy: ChildProcess;
  let output = '';
  let container: string;
  const name = `cs-roproxy-${randomSuffix()}`;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cs-roproxy-'));
    socket = join(work, 'docker-ro.sock');
    haproxy = spawn('haproxy', ['-db', '-f', CONFIG], { env: { ...process.env, PROXY_SOCKET: socket, DOCKER_SOCKET: '/var/run/docker.sock' }, stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    haproxy.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => existsSync(socket), { timeoutMs: 10_000, message: 'haproxy listening' });
    container = execFileSync('docker', ['run', '-d', '--name', name, '--label', 'consul-sidecars.test=roproxy', '-e', 'SERVICE_NAME=roproxy-web', '-p', '127.0.0.1::80', ensureBusyboxImage(), 'sleep', '600'], { encoding: 'utf8' }).trim();
  });

  after(() => {
    haproxy?.kill('SIGKILL');
    execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  const allowed: Array<[string, string]> = [
    ['GET', '/_ping'],
    ['GET', '/v1.41/version'],
    ['GET', '/v1.41/containers/json?all=1'],
    ['GET', '/containers/json'],
  ];
  for (const [method, path] of allowed) {
    it(`passes ${method} ${path}`, async () => {
      expect((await request(socket, method, path)).status).to.equal(200);
    });
  }

  it('passes a container inspect and the event stream', async () => {
    const inspect = await request(socket, 'GET', `/v1.41/containers/${container}/json`);
    expect(inspect.status).to.equal(200);
    expect(JSON.parse(inspect.body).Name).to.equal(`/${name}`);
    expect((await request(socket, 'GET', `/v1.41/events?since=${Math.floor(Date.now() / 1000) - 60}`)).status).to.equal(200);
  });

  const PROBE_LABEL = 'consul-sidecars.test.roproxy-probe';
  const PROBE_RUN = `${process.pid}-${Date.now()}`;
  const refused: Array<[string, string, string?]> = [
    ['POST', '/v1.41/containers/create', JSON.stringify({ Image: 'consul-sidecars/busybox:test', Cmd: ['true'], Labels: { [PROBE_LABEL]: PROBE_RUN } })],
    ['DELETE', '/containers/CONTAINER'],
    ['POST', '/v1.41/containers/CONTAINER/exec', JSON.stringify({ Cmd: ['sh'] })],
    ['POST', '/containers/CONTAINER/stop'],
    ['GET', '/containers/CONTAINER/logs?stdout=1'],
    ['GET', '/containers/CONTAINER/archive?path=/etc'],
    ['GET', '/images/json'],
    ['GET', '/v1.41/containers/CONTAINER/json/../../../images/json'],
    ['POST', '/v1.41/build'],
    ['GET', '/swarm'],
  ];
  for (const [method, path, body] of refused) {
    it(`refuses ${method} ${path} with 403, and the engine never sees it`, async () => {
      const answer = await request(socket, method, path.replace('CONTAINER', container), body);
      expect(answer.status).to.equal(403);
      // What the engine would show had it seen the request (the engine is shared, so only our own traces count):
      // no container carrying this run's probe label, no exec instance on our container, our container running.
      expect(execFileSync('docker', ['ps', '-aq', '--filter', `label=${PROBE_LABEL}=${PROBE_RUN}`], { encoding: 'utf8' }).trim()).to.equal('');
      expect(execFileSync('docker', ['inspect', '-f', '{{len .ExecIDs}}', container], { encoding: 'utf8' }).trim()).to.equal('0');
      expect(execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', container], { encoding: 'utf8' }).trim()).to.equal('true');
    });
  }

  describe('registrator through it', () => {
    let consul: TestConsul;
    let registrator: ChildProcess | undefined;
    let log = '';

    before(async () => {
      consul = await startTestConsul();
    });
    after(async () => {
      registrator?.kill('SIGKILL');
      await consul.close();
    });

    it('registers a container with nothing but the read-only API', async () => {
      const logFrom = output.length;
      registrator = spawn(process.execPath, [REGISTRATOR, '-label-filter', 'consul-sidecars.test=roproxy', '-ip', '127.0.0.1', '-metrics-port', '0', consul.url.replace(/^http:/, 'consul:')], {
        env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      registrator.stdout!.on('data', (c: Buffer) => (log += c.toString()));
      registrator.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      const registered = await waitFor(async () => {
        const list = (await (await fetch(`${consul.url}/v1/catalog/service/roproxy-web`)).json()) as Array<{ ServiceID: string }>;
        return list.length === 1 ? list : undefined;
      }, { timeoutMs: 20_000, message: `roproxy-web registered (registrator log: ${log.slice(-1500)})` });
      expect(registered[0].ServiceID).to.include(name);
      const refused = output.slice(logFrom).split('\n').filter((line) => / 403 /.test(line));
      expect(refused, 'haproxy refused nothing registrator asked for').to.deep.equal([]);
    });
  });
});
