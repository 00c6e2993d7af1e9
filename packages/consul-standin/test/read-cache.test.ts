// The read cache: identical catalog and health reads at one state share one build, and every answer is still
// the one a fresh build would give (bytes and headers), across writes, blocking queries, ACL tokens and ?stale.

import { expect } from 'chai';
import { aclView } from '../src/acl';
import { goJson } from '../src/go-json';
import { ReadCache } from '../src/read-cache';
import { ConsulStandin, startConsulStandin } from '../src';
import { Client, eventually, FAST, Reply, unique } from './support';

/** The headers a read's answer is made of (the connection ones aside). */
function answerHeaders(reply: Reply): Record<string, string | undefined> {
  const { 'content-type': type, 'content-length': length, 'x-consul-index': index, 'x-consul-knownleader': leader, 'x-consul-lastcontact': contact } = reply.headers;
  return { type, length, index, leader, contact };
}

describe('consul-standin read cache: the cache itself', () => {
  const body = (text: string) => Buffer.from(text);

  it('answers a second lookup at the same generation and index from the first build', () => {
    const cache = new ReadCache({ maxEntries: 4, maxBytes: 1024 });
    let builds = 0;
    const build = () => body(`built ${++builds}`);
    expect(cache.answer('k', () => 1, 7, build).toString()).to.equal('built 1');
    expect(cache.answer('k', () => 1, 7, build).toString()).to.equal('built 1');
    expect(cache.stats()).to.include({ entries: 1, hits: 1, misses: 1 });
  });

  it('builds again when the generation or the index moved, and drops what an older generation held', () => {
    const cache = new ReadCache({ maxEntries: 4, maxBytes: 1024 });
    let builds = 0;
    const build = () => body(`built ${++builds}`);
    cache.answer('a', () => 1, 7, build);
    cache.answer('b', () => 1, 7, build);
    expect(cache.answer('a', () => 1, 8, build).toString()).to.equal('built 3');
    expect(cache.answer('a', () => 2, 8, build).toString()).to.equal('built 4');
    expect(cache.stats()).to.include({ entries: 1, hits: 0, misses: 4 });
  });

  it('keeps no answer when the state changed while it was built', () => {
    const cache = new ReadCache({ maxEntries: 4, maxBytes: 1024 });
    let generation = 1;
    cache.answer('k', () => generation, 7, () => {
      generation++;
      return body('x');
    });
    expect(cache.stats().entries).to.equal(0);
  });

  const bounds: { label: string; maxEntries: number; maxBytes: number; sizes: number[]; entries: number; bytes: number }[] = [
    { label: 'entries: the least recently used goes first', maxEntries: 2, maxBytes: 1 << 20, sizes: [10, 10, 10], entries: 2, bytes: 2 * (10 + 2) },
    { label: 'bytes: older answers go until the new one fits', maxEntries: 10, maxBytes: 50, sizes: [20, 20, 20], entries: 2, bytes: 2 * (20 + 2) },
    { label: 'an answer larger than the whole bound is never kept', maxEntries: 10, maxBytes: 50, sizes: [10, 100], entries: 1, bytes: 10 + 2 },
    { label: 'no entries: nothing is kept', maxEntries: 0, maxBytes: 50, sizes: [10], entries: 0, bytes: 0 },
  ];
  for (const bound of bounds) {
    it(`holds its bound on ${bound.label}`, () => {
      const cache = new ReadCache({ maxEntries: bound.maxEntries, maxBytes: bound.maxBytes });
      bound.sizes.forEach((size, i) => cache.answer(`k${i}`, () => 1, 1, () => Buffer.alloc(size)));
      expect(cache.stats()).to.include({ entries: bound.entries, bytes: bound.bytes });
    });
  }

  it('evicts the least recently used, not the oldest built', () => {
    const cache = new ReadCache({ maxEntries: 2, maxBytes: 1 << 20 });
    let builds = 0;
    const build = () => body(`built ${++builds}`);
    cache.answer('a', () => 1, 1, build);
    cache.answer('b', () => 1, 1, build);
    cache.answer('a', () => 1, 1, build);
    cache.answer('c', () => 1, 1, build);
    expect(cache.answer('a', () => 1, 1, build).toString()).to.equal('built 1');
    expect(cache.answer('b', () => 1, 1, build).toString()).to.equal('built 4');
  });

  it('gives every token its own view with ACLs on, and one view to all with them off', () => {
    expect(aclView('root', 'root')).to.not.equal(aclView('root', 'other'));
    expect(aclView('root', 'root')).to.not.equal(aclView('root', ''));
    expect(aclView('root', 'root')).to.not.include('root');
    expect(aclView(undefined, 'a')).to.equal(aclView(undefined, 'b'));
  });

  it('escapes as Go does', () => {
    expect(goJson({ 'a<b': 'x>y&z\u2028\u2029' }, false)).to.equal('{"a\\u003cb":"x\\u003ey\\u0026z\\u2028\\u2029"}');
    expect(goJson([1], true)).to.equal('[\n    1\n]\n');
  });
});

describe('consul-standin read cache: through the HTTP API', function () {
  this.timeout(20_000);
  let consul: ConsulStandin;
  let client: Client;
  const nodes: string[] = [];

  before(async () => {
    consul = await startConsulStandin(FAST);
    client = new Client(consul.url);
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) await client.put('/v1/catalog/deregister', { Node: node });
  });

  after(async () => {
    await consul.stop();
  });

  async function register(node: string, service: string, tags: string[] = []): Promise<void> {
    if (!nodes.includes(node)) nodes.push(node);
    const reply = await client.put('/v1/catalog/register', { Node: node, Address: '10.1.0.1', Service: { ID: service, Service: service, Tags: tags, Port: 80 } });
    expect(reply.status, reply.text).to.equal(200);
  }

  const reads = (node: string, service: string) => [
    `/v1/catalog/node/${node}`,
    '/v1/catalog/services',
    `/v1/catalog/service/${service}`,
    '/v1/catalog/nodes',
    `/v1/health/service/${service}?passing`,
    `/v1/health/checks/${service}`,
    `/v1/health/node/${node}`,
    '/v1/health/state/any',
  ];

  it('answers two clients the same read with identical bytes and headers, from one build', async () => {
    const node = unique('cache-node');
    const service = unique('cache-svc');
    await register(node, service, ['a<b&c']);
    for (const path of reads(node, service)) {
      const before = consul.readCacheStats();
      const [one, two] = await Promise.all([client.get(path), new Client(consul.url).get(path)]);
      expect(one.status, path).to.equal(200);
      expect(two.body.equals(one.body), path).to.equal(true);
      expect(answerHeaders(two), path).to.deep.equal(answerHeaders(one));
      expect(one.headers['content-type'], path).to.equal('application/json');
      const after = consul.readCacheStats();
      expect({ path, hits: after.hits - before.hits, misses: after.misses - before.misses }).to.deep.equal({ path, hits: 1, misses: 1 });
    }
  });

  it('shares an answer between reads naming their parameters in another order, not between other values', async () => {
    const node = unique('cache-node');
    const service = unique('cache-svc');
    await register(node, service, ['a', 'b']);
    const before = consul.readCacheStats();
    const one = await client.get(`/v1/health/service/${service}?passing&tag=a&stale&index=1&wait=1s`);
    const two = await client.get(`/v1/health/service/${service}?stale&wait=2s&tag=a&passing&index=2`);
    const other = await client.get(`/v1/health/service/${service}?stale&tag=b&passing`);
    expect(two.body.equals(one.body)).to.equal(true);
    expect(other.json()).to.have.length(1);
    const after = consul.readCacheStats();
    expect({ hits: after.hits - before.hits, misses: after.misses - before.misses }).to.deep.equal({ hits: 1, misses: 2 });
  });

  it('answers a read after a write with the new body and index', async () => {
    const node = unique('cache-node');
    const service = unique('cache-svc');
    await register(node, service, ['v1']);
    const path = `/v1/catalog/node/${node}`;
    const first = await client.get(path);
    await client.get(path);
    await register(node, service, ['v2']);
    const second = await client.get(path);
    expect(Number(second.headers['x-consul-index'])).to.be.above(Number(first.headers['x-consul-index']));
    expect(second.json().Services[service].Tags).to.deep.equal(['v2']);
  });

  it('answers as a stand-in without the cache does, byte for byte', async () => {
    const same = { ...FAST, node: 'twin', nodeId: '6a1d2b3c-0000-4000-8000-000000000001' };
    const twins = [await startConsulStandin(same), await startConsulStandin({ ...same, readCacheEntries: 0 })];
    try {
      const [cached, plain] = twins.map((t) => new Client(t.url));
      for (const c of [cached!, plain!]) {
        const reply = await c.put('/v1/catalog/register', { Node: 'web-1', Address: '10.1.0.1', Service: { ID: 'api-1', Service: 'api', Tags: ['x>y&z'], Port: 80 } });
        expect(reply.status, reply.text).to.equal(200);
      }
      const paths = ['/v1/catalog/node/web-1?pretty', `/v1/catalog/service/api?filter=${encodeURIComponent('ServicePort == 80')}`, '/v1/health/state/any', '/v1/catalog/node/nowhere'];
      for (const path of paths) {
        const fresh = await plain!.get(path);
        for (const reply of [await cached!.get(path), await cached!.get(path)]) {
          expect(reply.text, path).to.equal(fresh.text);
          expect(answerHeaders(reply), path).to.deep.equal(answerHeaders(fresh));
        }
      }
      expect(twins[0]!.readCacheStats()).to.include({ hits: paths.length, misses: paths.length });
      expect(twins[1]!.readCacheStats()).to.include({ entries: 0, hits: 0 });
    } finally {
      for (const twin of twins) await twin.stop();
    }
  });

  it('wakes a blocking query on a write and answers the body as of then', async () => {
    const node = unique('cache-node');
    const service = unique('cache-svc');
    await register(node, service, ['before']);
    const path = `/v1/catalog/node/${node}`;
    const first = await client.get(path);
    const index = first.headers['x-consul-index'];
    const parkedBefore = consul.parkedQueries;
    const held = [client.get(`${path}?index=${index}&wait=10s`), new Client(consul.url).get(`${path}?wait=10s&index=${index}`)];
    await eventually('both blocking queries parked', async () => consul.parkedQueries >= parkedBefore + 2);
    await register(node, service, ['after']);
    const [one, two] = await Promise.all(held);
    for (const reply of [one, two]) {
      expect(Number(reply.headers['x-consul-index'])).to.be.above(Number(index));
      expect(reply.json().Services[service].Tags).to.deep.equal(['after']);
    }
    expect(two.body.equals(one.body)).to.equal(true);
    const now = await client.get(path);
    expect(now.body.equals(one.body)).to.equal(true);
    expect(now.headers['x-consul-index']).to.equal(one.headers['x-consul-index']);
  });

  it('shows a check output that changed without an index', async () => {
    const id = unique('cache-ttl');
    expect((await client.put('/v1/agent/service/register', { ID: id, Name: id, Check: { TTL: '30s' } })).status).to.equal(200);
    try {
      expect((await client.put(`/v1/agent/check/pass/service:${id}?note=first`)).status).to.equal(200);
      const path = `/v1/health/checks/${id}`;
      const first = await client.get(path);
      expect(first.json()[0].Output).to.equal('first');
      expect((await client.put(`/v1/agent/check/pass/service:${id}?note=second`)).status).to.equal(200);
      const second = await client.get(path);
      expect(second.headers['x-consul-index']).to.equal(first.headers['x-consul-index']);
      expect(second.json()[0].Output).to.equal('second');
    } finally {
      await client.put(`/v1/agent/service/deregister/${id}`);
    }
  });

  it('sets ?stale headers per request on a shared body', async () => {
    const path = '/v1/catalog/nodes';
    const leader = await client.get(path);
    consul.setFollower({ lastContactMs: 1234, knownLeader: false });
    try {
      const stale = await client.get(`${path}?stale`);
      const again = await client.get(path);
      expect(stale.body.equals(leader.body)).to.equal(true);
      expect([stale.headers['x-consul-lastcontact'], stale.headers['x-consul-knownleader']]).to.deep.equal(['1234', 'false']);
      expect([again.headers['x-consul-lastcontact'], again.headers['x-consul-knownleader']]).to.deep.equal(['0', 'true']);
    } finally {
      consul.setFollower({ lastContactMs: 0, knownLeader: true });
    }
  });

  it('holds its bound in entries over many distinct reads', async () => {
    const bounded = await startConsulStandin({ ...FAST, readCacheEntries: 3 });
    try {
      const c = new Client(bounded.url);
      for (let i = 0; i < 10; i++) expect((await c.get(`/v1/catalog/service/none-${i}`)).status).to.equal(200);
      expect(bounded.readCacheStats()).to.include({ entries: 3, misses: 10 });
    } finally {
      await bounded.stop();
    }
  });
});

describe('consul-standin read cache: ACL tokens', function () {
  this.timeout(20_000);
  let consul: ConsulStandin;

  before(async () => {
    consul = await startConsulStandin({ ...FAST, managementToken: 'root-token' });
  });

  after(async () => {
    await consul.stop();
  });

  it('never answers a token without the right with a body another token was answered', async () => {
    const path = '/v1/catalog/services';
    const management = new Client(consul.url, 'root-token');
    const allowed = await management.get(path);
    expect(allowed.status).to.equal(200);
    const anonymous = await new Client(consul.url).get(path);
    expect(anonymous.status).to.equal(403);
    expect(anonymous.text).to.match(/^Permission denied: anonymous token lacks permission 'service:read'/);
    const unknown = await new Client(consul.url, 'other-token').get(path);
    expect([unknown.status, unknown.text]).to.deep.equal([403, 'ACL not found']);
    const inQuery = await new Client(consul.url).get(`${path}?token=other-token`);
    expect([inQuery.status, inQuery.text]).to.deep.equal([403, 'ACL not found']);
    const again = await new Client(consul.url).get(`${path}?token=root-token`);
    expect(again.body.equals(allowed.body)).to.equal(true);
    expect(consul.readCacheStats()).to.include({ entries: 1, hits: 1 });
  });
});
