// The pusher's own decisions against a scripted endpoint (the real Lua endpoint is exercised in
// dynamic-upstreams.integration.test.ts): what it sends, what a refusal or an outage leaves, how it recovers.

import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@consul-sidecars/core';
import { UpstreamPusher } from '../src/act/upstream-pusher';
import type { UpstreamPeer } from '../src/plan/upstream-peers';

const peer = (port: number): UpstreamPeer => ({ address: '127.0.0.1', port, weight: 1, backup: false, down: false });

/** An endpoint that answers what the test scripts: status and boot, and records every POST body. */
async function scriptedEndpoint() {
  const state = { boot: 'boot-1', generation: 0, held: {} as Record<string, UpstreamPeer[]>, postStatus: 200, postError: '', posts: [] as Record<string, unknown>[], authorizations: [] as (string | undefined)[] };
  /** Requests each connection has carried; `resetReused`: a request on a reused connection has it reset, unanswered. */
  const served = new WeakMap<object, number>();
  const resets = { resetReused: false, resetAll: false, count: 0 };
  const server = http.createServer((req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    if (resets.resetAll || (resets.resetReused && n > 1)) {
      resets.count++;
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.authorizations.push(req.headers.authorization);
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'GET' && req.url === '/cs/status') return send(200, { boot: state.boot, generation: state.generation, upstreams: Object.keys(state.held).length });
      if (req.method === 'GET' && req.url === '/cs/upstreams') {
        return send(200, { boot: state.boot, generation: state.generation, upstreams: Object.fromEntries(Object.entries(state.held).map(([n, peers]) => [n, { version: 1, peers }])) });
      }
      if (req.method === 'POST' && req.url === '/cs/upstreams') {
        const parsed = JSON.parse(body) as { upstreams: Record<string, UpstreamPeer[] | null> };
        state.posts.push(parsed.upstreams);
        if (state.postStatus !== 200) return send(state.postStatus, { error: state.postError });
        for (const [name, peers] of Object.entries(parsed.upstreams)) {
          if (peers === null) delete state.held[name];
          else state.held[name] = peers;
        }
        state.generation++;
        return send(200, { boot: state.boot, generation: state.generation, applied: {}, removed: [] });
      }
      send(404, { error: 'no' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cs`;
  return { state, resets, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())), server };
}

describe('renderer no-reload mode: the upstream pusher', () => {
  let endpoint: Awaited<ReturnType<typeof scriptedEndpoint>>;
  let pusher: UpstreamPusher;
  beforeEach(async () => {
    endpoint = await scriptedEndpoint();
    pusher = new UpstreamPusher({ url: endpoint.url, intervalMs: 20, timeoutMs: 1000, rejectEmpty: true });
  });
  afterEach(async () => {
    await pusher.stop();
    endpoint.server.closeAllConnections();
    await endpoint.close();
  });

  it('sends only what nginx does not hold, prunes only when asked, and holds an empty upstream', async () => {
    expect((await pusher.apply(new Map([['a', [peer(1)]], ['b', [peer(2)]]]), { prune: true })).set).to.deep.equal(['a', 'b']);
    const again = await pusher.apply(new Map([['a', [peer(1)]], ['b', [peer(2)]]]), { prune: true });
    expect([again.ok, again.set, endpoint.state.posts.length]).to.deep.equal([true, [], 1]);
    await pusher.apply(new Map([['a', [peer(1)]]]), { prune: false });
    expect(endpoint.state.held).to.have.keys('a', 'b');
    await pusher.apply(new Map([['a', [peer(1)]]]), { prune: true });
    expect(endpoint.state.held).to.have.keys('a');
    const empty = await pusher.apply(new Map([['a', []]]), { prune: true });
    expect([empty.ok, empty.held.map((h) => h.upstream), endpoint.state.held.a]).to.deep.equal([true, ['a'], [peer(1)]]);
  });

  it('update (a push ahead of the render): sets only upstreams already wanted, the rest stays wanted; after a failed push everything missing goes', async () => {
    await pusher.apply(new Map([['a', [peer(1)]], ['b', [peer(2)]]]), { prune: true });
    const ahead = await pusher.update(new Map([['a', [peer(3)]], ['unknown', [peer(9)]]]));
    expect([ahead.ok, ahead.set, endpoint.state.posts.at(-1)]).to.deep.equal([true, ['a'], { a: [peer(3)] }]);
    expect(endpoint.state.held).to.deep.equal({ a: [peer(3)], b: [peer(2)] });
    // The render after it wants what the update set: nothing more to send.
    expect((await pusher.apply(new Map([['a', [peer(3)]], ['b', [peer(2)]]]), { prune: true })).set).to.deep.equal([]);
    // A push that failed leaves b pending: the next update sends what it changed and what is still missing.
    endpoint.state.postStatus = 409;
    expect((await pusher.apply(new Map([['a', [peer(3)]], ['b', [peer(4)]]]), { prune: true })).ok).to.equal(false);
    endpoint.state.postStatus = 200;
    const after = await pusher.update(new Map([['a', [peer(5)]]]));
    expect([after.ok, after.set]).to.deep.equal([true, ['a', 'b']]);
    expect(endpoint.state.held).to.deep.equal({ a: [peer(5)], b: [peer(4)] });
  });

  it('a kept-alive connection nginx resets as it is reused: the push goes again, once, on a fresh one', async () => {
    expect((await pusher.apply(new Map([['a', [peer(1)]]]), { prune: true })).ok).to.equal(true);
    endpoint.resets.resetReused = true;
    const pushed = await pusher.apply(new Map([['a', [peer(2)]]]), { prune: true });
    expect([pushed.ok, pushed.set, endpoint.resets.count, endpoint.state.held.a]).to.deep.equal([true, ['a'], 1, [peer(2)]]);
  });

  it('a reset on a fresh connection is not sent again: the push fails and the poll retries it', async () => {
    endpoint.resets.resetAll = true;
    const failed = await pusher.apply(new Map([['a', [peer(1)]]]), { prune: true });
    expect([failed.ok, endpoint.resets.count]).to.deep.equal([false, 1]);
    expect(failed.error).to.match(/socket hang up|ECONNRESET/);
    endpoint.resets.resetAll = false;
    pusher.start();
    await waitFor(() => endpoint.state.held.a !== undefined, { timeoutMs: 5000, message: 'the poll pushed it' });
  });

  it('a refused push (nginx answers 409/400) is an error naming why; nothing counts as held, the poll retries it', async () => {
    endpoint.state.postStatus = 409;
    endpoint.state.postError = 'upstream a would have no usable peer';
    const refused = await pusher.apply(new Map([['a', [peer(1)]]]), { prune: true });
    expect(refused.ok).to.equal(false);
    expect(refused.error).to.match(/nginx answered 409: upstream a would have no usable peer/);
    expect(pusher.held()).to.deep.equal([]);
    endpoint.state.postStatus = 200;
    const recovered = new Promise((resolve) => pusher.once('recovered', resolve));
    pusher.start();
    await recovered;
    expect(endpoint.state.held.a).to.deep.equal([peer(1)]);
  });

  it('nginx unreachable: the push fails clearly, and goes through once it answers again', async () => {
    const port = (endpoint.server.address() as AddressInfo).port;
    endpoint.server.closeAllConnections();
    await endpoint.close();
    const down = await pusher.apply(new Map([['a', [peer(1)]]]), { prune: true });
    expect(down.ok).to.equal(false);
    expect(down.error).to.match(/push to .* failed: .*ECONNREFUSED/);
    await new Promise<void>((resolve) => endpoint.server.listen(port, '127.0.0.1', resolve));
    pusher.start();
    await waitFor(() => endpoint.state.held.a !== undefined, { timeoutMs: 5000, message: 'pushed once nginx answers' });
  });

  it('a new boot id (nginx restarted, empty dict): it reads what nginx holds and pushes everything again', async () => {
    await pusher.apply(new Map([['a', [peer(1)]], ['b', [peer(2)]]]), { prune: true });
    pusher.start();
    await waitFor(() => pusher.held().length === 2, { timeoutMs: 5000, message: 'confirmed' });
    const restored = new Promise<number>((resolve) => pusher.once('restored', resolve));
    endpoint.state.held = { b: [peer(2)] }; // came back holding only b (another renderer's push, say)
    endpoint.state.boot = 'boot-2';
    expect(await restored, 'upstreams pushed again').to.equal(1);
    expect(endpoint.state.posts.at(-1)).to.deep.equal({ a: [peer(1)] });
    expect(pusher.stats.restores).to.equal(1);
  });

  it('a push it did not make (the generation moved): it reads what nginx holds and pushes back only what drifted', async () => {
    await pusher.apply(new Map([['a', [peer(1)]], ['b', [peer(2)]]]), { prune: true });
    pusher.start();
    await waitFor(() => pusher.stats.polls >= 2, { timeoutMs: 5000, message: 'polling' });
    const posts = endpoint.state.posts.length;
    // Someone else repointed a, and pushed an upstream of their own.
    endpoint.state.held = { ...endpoint.state.held, a: [peer(9)], other: [peer(7)] };
    endpoint.state.generation += 2;
    const repaired = new Promise((resolve) => pusher.once('repaired', resolve));
    await repaired;
    expect(endpoint.state.posts.slice(posts)).to.deep.equal([{ a: [peer(1)] }]);
    expect(endpoint.state.held.other, 'another client\'s upstream is not ours to touch').to.deep.equal([peer(7)]);
    expect(pusher.stats.repairs).to.equal(1);
    // Its own pushes do not look like drift: quiet from here on.
    const after = endpoint.state.posts.length;
    const polls = pusher.stats.polls;
    await waitFor(() => pusher.stats.polls >= polls + 3, { timeoutMs: 5000, message: 'more polls' });
    expect(endpoint.state.posts.length).to.equal(after);
  });

  it('with a secret, every request carries it as a bearer token', async () => {
    const secret = 'x'.repeat(20);
    const authed = new UpstreamPusher({ url: endpoint.url, intervalMs: 20, timeoutMs: 1000, rejectEmpty: true, secret });
    try {
      await authed.apply(new Map([['a', [peer(1)]]]), { prune: true });
      authed.start();
      await waitFor(() => authed.stats.polls >= 1, { timeoutMs: 5000, message: 'a poll' });
      expect(new Set(endpoint.state.authorizations)).to.deep.equal(new Set([`Bearer ${secret}`]));
    } finally {
      await authed.stop();
    }
  });
});
