// The transport against a scripted HTTP server: `?dc=` and the token are sent, a reused kept-alive socket reset under
// an idempotent read is retried exactly once, a write is not, and only consecutive failures make Consul unavailable.

import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ConsecutiveFailures, ConsulHttpClient, consulErrorStatus, consulSettingsFromEnv, ERR_CONSUL_HTTP, ERR_CONSUL_TIMEOUT, ERR_CONSUL_UNREACHABLE, isConsulStatus, isConsulUnreachable, parseLeader } from '../src';

interface Seen {
  method: string;
  url: string;
  token?: string;
  /** Requests this socket had served before this one. */
  onSocket: number;
}

/** A server that answers JSON, records every request, and can destroy a kept-alive socket on its nth request. */
async function scriptedServer(script: { destroyOnSocketRequest?: number; status?: () => number; body?: unknown } = {}) {
  const seen: Seen[] = [];
  const perSocket = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const n = perSocket.get(req.socket) ?? 0;
    perSocket.set(req.socket, n + 1);
    seen.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['x-consul-token'] as string | undefined, onSocket: n });
    req.resume();
    req.on('end', () => {
      if (script.destroyOnSocketRequest !== undefined && n + 1 === script.destroyOnSocketRequest) {
        // What a server closing an idle kept-alive socket looks like to the client that just reused it.
        req.socket.destroy();
        return;
      }
      const body = JSON.stringify(script.body ?? '127.0.0.1:8300');
      res.writeHead(script.status?.() ?? 200, { 'Content-Type': 'application/json', 'X-Consul-Index': '7', 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '3' });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    address: `127.0.0.1:${port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('core/consul: transport behaviour', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(script: Parameters<typeof scriptedServer>[0] = {}, env: NodeJS.ProcessEnv = {}, options: ConstructorParameters<typeof ConsulHttpClient>[1] = {}) {
    const server = await scriptedServer(script);
    cleanups.push(() => server.close());
    const client = new ConsulHttpClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: server.address, ...env }), options);
    cleanups.push(() => client.close());
    return { server, client };
  }

  it('sends ?dc= (the client default and a per-request override) and the token header', async () => {
    const { server, client } = await setup({}, { CONSUL_HTTP_TOKEN: 'secret-token' }, { datacenter: 'dc-east' });
    await client.leader();
    await client.leader({ dc: 'dc-west' });
    await client.blockingGet('/health/service/web', () => 1, { index: 5, wait: '2s', query: { passing: true } });
    expect(server.seen.map((s) => s.url)).to.deep.equal([
      '/v1/status/leader?dc=dc-east',
      '/v1/status/leader?dc=dc-west',
      '/v1/health/service/web?dc=dc-east&passing=&index=5&wait=2s',
    ]);
    expect(server.seen.every((s) => s.token === 'secret-token')).to.equal(true);
  });

  it('never blocks on index 0: it sends index=1', async () => {
    const { server, client } = await setup();
    await client.blockingGet('/kv/k', () => 1, { index: 0, wait: '1s' });
    expect(server.seen[0].url).to.equal('/v1/kv/k?index=1&wait=1s');
  });

  it('retries an idempotent read exactly once when its reused kept-alive socket is reset', async () => {
    const { server, client } = await setup({ destroyOnSocketRequest: 2 });
    expect(await client.leader()).to.equal('127.0.0.1:8300');
    // The second request reuses the kept-alive socket; the server destroys it: the client resends once on a new socket.
    expect(await client.leader()).to.equal('127.0.0.1:8300');
    expect(server.seen.map((s) => [s.method, s.onSocket])).to.deep.equal([['GET', 0], ['GET', 1], ['GET', 0]]);
    expect(client.transport.staleSocketRetries).to.equal(1);
    expect(client.failures.consecutive, 'the reset that was retried is no failure').to.equal(0);
  });

  it('does not retry a read whose retry also fails: one retry, then the error', async () => {
    const { server, client } = await setup({ destroyOnSocketRequest: 1 });
    const err = await client.leader().catch((e: unknown) => e);
    expect(err).to.have.property('code', ERR_CONSUL_UNREACHABLE);
    // A first-use socket is not "reused": nothing to retry.
    expect(server.seen).to.have.length(1);
    expect(client.transport.staleSocketRetries).to.equal(0);
  });

  it('does not resend a non-idempotent write (session create) on a reused-socket reset', async () => {
    const { server, client } = await setup({ destroyOnSocketRequest: 2, body: { ID: 'session-1' } });
    await client.transport.json('GET', '/status/leader');
    const err = await client.session.create({ Name: 'x', TTL: '15s' }).catch((e: unknown) => e);
    expect(err).to.have.property('code', ERR_CONSUL_UNREACHABLE);
    expect(err).to.have.nested.property('details.staleSocket', true);
    expect(server.seen.filter((s) => s.method === 'PUT')).to.have.length(1);
    expect(client.transport.staleSocketRetries).to.equal(0);
  });

  it('resends an agent registration (idempotent in Consul) once on a reused-socket reset', async () => {
    const { server, client } = await setup({ destroyOnSocketRequest: 2, body: null });
    await client.transport.json('GET', '/status/leader');
    await client.agent.register({ ID: 'web-1', Name: 'web', Port: 80, Weights: { Passing: 2, Warning: 1 } });
    expect(server.seen.filter((s) => s.method === 'PUT')).to.have.length(2);
    expect(client.transport.staleSocketRetries).to.equal(1);
  });

  it('resends a transaction only when the caller vouches it is idempotent', async () => {
    const { server, client } = await setup({ destroyOnSocketRequest: 2, body: { Results: [], Errors: null } });
    await client.transport.json('GET', '/status/leader');
    const refused = await client.kv.txn([{ verb: 'set', key: 'a', value: '1' }]).catch((e: unknown) => e);
    expect(refused).to.have.property('code', ERR_CONSUL_UNREACHABLE);
    await client.transport.json('GET', '/status/leader');
    expect((await client.kv.txn([{ verb: 'set', key: 'a', value: '1' }], { idempotent: true })).ok).to.equal(true);
    expect(server.seen.filter((s) => s.method === 'PUT')).to.have.length(3);
    expect(client.transport.staleSocketRetries).to.equal(1);
  });

  it('calls Consul unavailable only after N consecutive failures, and a success resets the count', async () => {
    let status = 500;
    const { client } = await setup({ status: () => status }, {}, { unavailableAfter: 3 });
    for (let i = 1; i <= 2; i++) {
      const err = await client.leader().catch((e: unknown) => e);
      expect(err).to.have.property('code', ERR_CONSUL_HTTP);
      expect(err).to.have.property('status', 500);
      expect(client.unavailable, `after ${i} failure(s)`).to.equal(false);
    }
    status = 200;
    await client.leader();
    expect(client.failures.consecutive).to.equal(0);
    status = 500;
    for (let i = 0; i < 3; i++) await client.leader().catch(() => undefined);
    expect(client.unavailable).to.equal(true);
    status = 404;
    const notFound = await client.leader().catch((e: unknown) => e);
    expect(client.unavailable, 'a 4xx is an answer: Consul is up').to.equal(false);
    expect([isConsulStatus(notFound, 404), consulErrorStatus(notFound), isConsulUnreachable(notFound)]).to.deep.equal([true, 404, false]);
  });

  it('counts a refused connection as a failure and shares one tracker between clients', async () => {
    const failures = new ConsecutiveFailures({ threshold: 2 });
    const a = new ConsulHttpClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: '127.0.0.1:1' }), { failures });
    const b = new ConsulHttpClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: '127.0.0.1:1' }), { failures });
    cleanups.push(() => a.close(), () => b.close());
    const refused = await a.leader().catch((e: unknown) => e);
    expect(refused).to.have.property('code', ERR_CONSUL_UNREACHABLE);
    expect([isConsulUnreachable(refused), consulErrorStatus(refused)]).to.deep.equal([true, undefined]);
    expect(failures.unavailable).to.equal(false);
    await b.leader().catch(() => undefined);
    expect(failures.unavailable).to.equal(true);
    expect(() => new ConsecutiveFailures({ threshold: 0 })).to.throw(RangeError);
  });

  it('times out with ERR_CONSUL_TIMEOUT and aborts on the caller\'s signal', async () => {
    const hang = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const hangSockets = new Set<Socket>();
    hang.on('connection', (s: Socket) => hangSockets.add(s));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const s of hangSockets) s.destroy();
      hang.close(() => resolve());
    }));
    const client = new ConsulHttpClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: `127.0.0.1:${(hang.address() as AddressInfo).port}` }));
    cleanups.push(() => client.close());
    const timedOut = await client.blockingGet('/status/leader', parseLeader, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(timedOut).to.have.property('code', ERR_CONSUL_TIMEOUT);
    const abort = new AbortController();
    const pending = client.leader({ signal: abort.signal }).catch((e: unknown) => e);
    setTimeout(() => abort.abort(new Error('stop')), 20);
    const aborted = await pending;
    expect(aborted).to.have.property('code', 'ERR_CONSUL_ABORTED');
    expect(client.failures.consecutive, 'an abort is no failure of Consul').to.equal(1);
  });
});
