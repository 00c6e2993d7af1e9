// limits.http_max_conns_per_client as Consul enforces it (hashicorp/go-connlimit): open connections per client IP,
// the one beyond answered 429 with connlimit's bytes and closed; a closed connection frees its place; the
// stand-in's own agent -> server forwarding (Consul's RPC) is not counted.

import { expect } from 'chai';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, parseServerArgs } from '../src/cli';
import { resolveOptions } from '../src/options';
import { startConsulAgent, startConsulServer, startConsulStandin, TOO_MANY_CONNS_TEXT, type ConsulStandin } from '../src';
import { eventually } from './support';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request on a connection of its own (a fresh agent), resolved with whatever came back. */
function get(url: string, options: { signal?: AbortSignal } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: false });
    const req = http.get(url, { agent, signal: options.signal }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
  });
}

describe('consul-standin: limits.http_max_conns_per_client', function () {
  this.timeout(20_000);
  let standin: ConsulStandin | undefined;
  const aborts: AbortController[] = [];

  afterEach(async () => {
    for (const abort of aborts.splice(0)) abort.abort();
    await standin?.stop();
    standin = undefined;
  });

  /** Parks `n` blocking queries, each on its own connection; they are released at the end of the test. */
  async function park(base: string, n: number): Promise<void> {
    const { index } = { index: (await get(`${base}/v1/kv/held?index=0`)).headers['x-consul-index'] };
    for (let i = 0; i < n; i++) {
      const abort = new AbortController();
      aborts.push(abort);
      get(`${base}/v1/kv/held?index=${String(index)}&wait=30s`, { signal: abort.signal }).catch(() => undefined);
    }
  }

  it('defaults to Consul\'s 200; 0 turns the limit off', () => {
    expect(resolveOptions().httpMaxConnsPerClient).to.equal(200);
    expect(resolveOptions({ httpMaxConnsPerClient: 0 }).httpMaxConnsPerClient).to.equal(0);
  });

  it('answers the connection beyond the limit 429 with Consul\'s text and Connection: close, and frees a closed one\'s place', async () => {
    standin = await startConsulStandin({ httpMaxConnsPerClient: 3 });
    const s = standin;
    await park(s.url, 3);
    await eventually('3 parked queries', async () => s.parkedQueries === 3);
    expect(s.connectionsByClient()).to.deep.equal({ '127.0.0.1': 3 });

    const refused = await get(`${s.url}/v1/catalog/services`);
    expect(refused.status).to.equal(429);
    expect(refused.text).to.equal(TOO_MANY_CONNS_TEXT);
    expect(TOO_MANY_CONNS_TEXT).to.equal('Your IP is issuing too many concurrent connections, please rate limit your calls\n');
    expect(refused.headers.connection).to.equal('close');
    expect(refused.headers['content-type']).to.equal('text/plain');
    expect(s.refusedConnections).to.equal(1);
    expect(s.connectionPeaks()['127.0.0.1']).to.equal(3);

    // One held query goes away: its place is free again.
    aborts.shift()?.abort();
    await eventually('a free place', async () => (s.connectionsByClient()['127.0.0.1'] ?? 0) < 3);
    const served = await get(`${s.url}/v1/catalog/services`);
    expect(served.status).to.equal(200);
  });

  it('does not count the client agents\' forwarding to their server (Consul\'s RPC)', async () => {
    const server = await startConsulServer({ httpMaxConnsPerClient: 2 });
    const agent = await startConsulAgent({ serverAddress: server.address, node: 'limit-agent', httpMaxConnsPerClient: 10 });
    try {
      await park(agent.url, 5);
      await eventually('5 queries parked at the server', async () => server.parkedQueries === 5);
      expect(server.connectionsByClient()['127.0.0.1'] ?? 0).to.be.at.most(1);
      expect((await get(`${server.url}/v1/catalog/services`)).status).to.equal(200);
    } finally {
      for (const abort of aborts.splice(0)) abort.abort();
      await agent.kill();
      await server.stop();
    }
  });

  it('is set by --http-max-conns-per-client or a Consul JSON config file (the flag wins)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rendobs-standin-'));
    try {
      const file = path.join(dir, 'agent.json');
      writeFileSync(file, JSON.stringify({ limits: { http_max_conns_per_client: 64 } }));
      expect(parseArgs(['--config-file', file]).httpMaxConnsPerClient).to.equal(64);
      expect(parseArgs(['--config-file', file, '--http-max-conns-per-client', '0']).httpMaxConnsPerClient).to.equal(0);
      expect(parseServerArgs(['-http-max-conns-per-client', '7']).httpMaxConnsPerClient).to.equal(7);
      expect(() => parseArgs(['--http-max-conns-per-client', '-1'])).to.throw(/--http-max-conns-per-client: -1/);
      writeFileSync(file, JSON.stringify({ limits: { rpc_max_conns_per_client: 5 } }));
      expect(() => parseArgs(['--config-file', file])).to.throw(/limits\.rpc_max_conns_per_client/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
