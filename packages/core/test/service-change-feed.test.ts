// core's ServiceChangeFeed against the Consul stand-in: which write names which services (a check: its service;
// a check-less instance change: the catalog index, then the nodes read again (more services than nodes) or a
// sweep; a node change: its services), readers woken only by a change or their wait, and the connections held
// bounded by the budget at any N. The comparison of two readings of the nodes is table-tested first.

import { expect } from 'chai';
import { BlockingWatcher, catalogServicesRead, ConsulHttpClient, consulSettingsFromEnv, healthServiceRead, ServiceChangeFeed, waitFor, type FeedChangeReason, type HealthStatus } from '../src';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { putAsWriter as put } from '../../../test/support/consul-writes';
import { checkMark, checkMarks, sameMark } from '../src/consul/service-change-feed-checks';
import { changedServices, nodeInstancesRead, sameNodeInstances, servicesOnNodes, type CatalogInstances } from '../src/consul/service-change-feed-nodes';

/** A reading of the nodes from `node: [[id, service, modifyIndex]...]`. */
function reading(nodes: Record<string, [string, string, number][]>): CatalogInstances {
  return new Map(Object.entries(nodes).map(([node, list]) => [node, new Map(list.map(([id, service, modifyIndex]) => [id, { service, modifyIndex }]))]));
}

describe('core: ServiceChangeFeed, two readings of the nodes compared', () => {
  const before = reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 11]], n2: [['web-2', 'web', 12], ['db-1', 'db', 13]] });
  const cases: { name: string; after: CatalogInstances; changed: string[] }[] = [
    { name: 'nothing written', after: before, changed: [] },
    { name: 'an instance written (its ModifyIndex moved)', after: reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 20]], n2: [['web-2', 'web', 12], ['db-1', 'db', 13]] }), changed: ['api'] },
    { name: 'an instance added', after: reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 11], ['api-2', 'api', 21]], n2: [['web-2', 'web', 12], ['db-1', 'db', 13]] }), changed: ['api'] },
    { name: 'an instance removed', after: reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 11]], n2: [['web-2', 'web', 12]] }), changed: ['db'] },
    { name: 'an instance renamed to another service: both', after: reading({ n1: [['web-1', 'www', 22], ['api-1', 'api', 11]], n2: [['web-2', 'web', 12], ['db-1', 'db', 13]] }), changed: ['web', 'www'] },
    { name: 'a node gone: its services', after: reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 11]] }), changed: ['db', 'web'] },
    { name: 'a new node with an instance', after: reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 11]], n2: [['web-2', 'web', 12], ['db-1', 'db', 13]], n3: [['cache-1', 'cache', 30]] }), changed: ['cache'] },
  ];
  for (const c of cases) it(c.name, () => expect(changedServices(before, c.after)).to.deep.equal(c.changed));

  it('the same instances on a node in two readings, or not', () => {
    const n1 = before.get('n1') ?? new Map();
    expect(sameNodeInstances(n1, reading({ n1: [['api-1', 'api', 11], ['web-1', 'web', 10]] }).get('n1') ?? new Map())).to.equal(true);
    expect(sameNodeInstances(n1, reading({ n1: [['web-1', 'web', 10], ['api-1', 'api', 12]] }).get('n1') ?? new Map())).to.equal(false);
    expect(sameNodeInstances(n1, reading({ n1: [['web-1', 'web', 10]] }).get('n1') ?? new Map())).to.equal(false);
  });

  it('check marks: by node and CheckID, one string of what is compared', () => {
    const check = { Node: 'n1', CheckID: 'c1', Name: 'alive', Status: 'passing' as const, Notes: '', Output: 'ok', ServiceID: 'web-1', ServiceName: 'web', ServiceTags: ['http'], Type: 'ttl' };
    const marks = checkMarks([check, { ...check, Node: 'n2' }, { ...check, CheckID: 'serfHealth', ServiceID: '', ServiceName: '', ServiceTags: [] }]);
    expect([...marks.keys()]).to.deep.equal(['n1', 'n2']);
    expect([...(marks.get('n1')?.keys() ?? [])]).to.deep.equal(['c1', 'serfHealth']);
    const a = marks.get('n1')?.get('c1');
    expect(a?.service).to.equal('web');
    expect(a && sameMark(a, checkMark({ ...check, Output: 'ok' }))).to.equal(true);
    expect(a && sameMark(a, checkMark({ ...check, Output: 'timeout' }))).to.equal(false);
    expect(a && sameMark(a, checkMark({ ...check, ServiceTags: ['http', 'v2'] }))).to.equal(false);
  });

  it('the services on some nodes', () => {
    expect(servicesOnNodes(before, ['n2'])).to.deep.equal(['db', 'web']);
    expect(servicesOnNodes(before, ['n9'])).to.deep.equal([]);
  });

  it('reads /v1/catalog/node/<node> strictly: a node the catalog does not have is null, a bad field is named', () => {
    const read = nodeInstancesRead('n 1');
    expect(read.path).to.equal('/catalog/node/n%201');
    expect(read.parse(null)).to.equal(null);
    const parsed = read.parse({ Node: { Node: 'n 1' }, Services: { 'web-1': { ID: 'web-1', Service: 'web', ModifyIndex: 7 } } });
    expect([...(parsed ?? new Map())]).to.deep.equal([['web-1', { service: 'web', modifyIndex: 7 }]]);
    expect(() => read.parse({ Services: { 'web-1': { ID: 'web-1', Service: 'web', ModifyIndex: 'x' } } })).to.throw(/Services\.web-1\.ModifyIndex/);
  });
});

function registration(service: string, node: string, options: { check?: string; port?: number; address?: string } = {}): Record<string, unknown> {
  return {
    Node: node,
    Address: options.address ?? '10.0.0.1',
    Service: { ID: `${service}-${node}`, Service: service, Port: options.port ?? 80 },
    ...(options.check ? { Check: { Node: node, CheckID: `check-${service}-${node}`, Name: 'alive', Status: options.check, ServiceID: `${service}-${node}` } } : {}),
  };
}

describe('core: ServiceChangeFeed', function () {
  this.timeout(30_000);
  let standin: ConsulStandin;
  let client: ConsulHttpClient;
  let feed: ServiceChangeFeed;
  const events: { services: string[]; reason: FeedChangeReason }[] = [];
  const watchers: BlockingWatcher<unknown>[] = [];

  beforeEach(async () => {
    standin = await startConsulStandin();
    client = new ConsulHttpClient(consulSettingsFromEnv({}, standin.address), { maxSockets: 64 });
    feed = new ServiceChangeFeed(client, { waitSeconds: 30 });
    events.length = 0;
    feed.on('changed', (services, reason) => events.push({ services, reason }));
  });
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.stop()));
    await feed.stop();
    client.close();
    await standin.stop();
  });

  function watch(service: string): BlockingWatcher<{ Port: number; Status: HealthStatus }[]> {
    const read = healthServiceRead(service);
    const watcher = new BlockingWatcher(feed.blockingQuery(service, { ...read, parse: (body) => read.parse(body).map((i) => ({ Port: i.Port, Status: i.Status })) }), { name: service, waitSeconds: 30 });
    watchers.push(watcher as BlockingWatcher<unknown>);
    return watcher.start();
  }

  it('a check change names its service only; a reader re-reads that one', async () => {
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1', { check: 'passing' }));
    await put(standin.url, '/v1/catalog/register', registration('api', 'n1', { check: 'passing' }));
    const web = watch('web');
    const api = watch('api');
    await waitFor(() => web.ready && api.ready, { timeoutMs: 5000, message: 'first answers' });
    const apiReads = (): number => standin.requestCounts()['/v1/health/service/api'] ?? 0;
    const apiBefore = apiReads();
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1', { check: 'critical' }));
    await waitFor(() => web.data?.[0]?.Status === 'critical', { timeoutMs: 5000, message: 'web critical' });
    expect(events.filter((e) => e.reason === 'checks').flatMap((e) => e.services)).to.deep.equal(['web']);
    expect(apiReads(), 'api is not read again').to.equal(apiBefore);
  });

  it('an instance change without checks moves only the catalog index: a sweep finds it', async () => {
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1'));
    const web = watch('web');
    await waitFor(() => web.ready, { timeoutMs: 5000, message: 'first answer' });
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1', { port: 8080 }));
    await waitFor(() => web.data?.[0]?.Port === 8080, { timeoutMs: 5000, message: 'the new port' });
    expect(events.map((e) => e.reason)).to.include('sweep');
  });

  it('with more services watched than nodes, a check-less change reads each node once and names just its service', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
    for (const name of names) for (const node of ['n1', 'n2']) await put(standin.url, '/v1/catalog/register', registration(name, node));
    const all = names.map(watch);
    await waitFor(() => all.every((w) => w.ready), { timeoutMs: 10_000, message: 'every first answer' });
    const reads = (): Record<string, number> => ({ ...standin.requestCounts() });
    const before = reads();
    await put(standin.url, '/v1/catalog/register', registration('svc-7', 'n2', { port: 8080 }));
    await waitFor(() => all[7]?.data?.some((i) => i.Port === 8080) ?? false, { timeoutMs: 5000, message: 'the new port' });
    const after = reads();
    const delta = (path: string): number => (after[path] ?? 0) - (before[path] ?? 0);
    expect(events.map((e) => e.reason), 'no sweep').to.not.include('sweep');
    expect(events.filter((e) => e.reason === 'catalog').flatMap((e) => e.services)).to.deep.equal(['svc-7']);
    expect(delta('/v1/catalog/node/n1') + delta('/v1/catalog/node/n2'), 'each node read once').to.equal(2);
    expect(names.filter((n) => n !== 'svc-7').map((n) => delta(`/v1/health/service/${n}`)), 'no other service read').to.deep.equal(names.slice(1).map(() => 0));
  });

  it('with more services watched than nodes, an instance on a new node is named, without a sweep', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `svc-${i}`);
    for (const name of names) await put(standin.url, '/v1/catalog/register', registration(name, 'n1'));
    const all = names.map(watch);
    await waitFor(() => all.every((w) => w.ready), { timeoutMs: 10_000, message: 'every first answer' });
    await put(standin.url, '/v1/catalog/register', registration('svc-4', 'n-new', { port: 8080 }));
    await waitFor(() => all[4]?.data?.some((i) => i.Port === 8080) ?? false, { timeoutMs: 5000, message: 'the instance on the new node' });
    expect(events.map((e) => e.reason)).to.not.include('sweep');
    expect([...new Set(events.flatMap((e) => e.services))]).to.deep.equal(['svc-4']);
  });

  it('with more services watched than nodes, a node change names the services on it, without a sweep', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `svc-${i}`);
    for (const [i, name] of names.entries()) await put(standin.url, '/v1/catalog/register', registration(name, i < 3 ? 'n1' : 'n2'));
    const all = names.map(watch);
    await waitFor(() => all.every((w) => w.ready), { timeoutMs: 10_000, message: 'every first answer' });
    await put(standin.url, '/v1/catalog/register', { Node: 'n2', Address: '10.9.9.9' });
    await waitFor(() => events.some((e) => e.reason === 'nodes'), { timeoutMs: 5000, message: 'the node change' });
    expect(events.filter((e) => e.reason === 'nodes').flatMap((e) => e.services)).to.deep.equal(['svc-3', 'svc-4', 'svc-5']);
    expect(events.map((e) => e.reason)).to.not.include('sweep');
  });

  it('a node change names the services with checks on it first, then sweeps', async () => {
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1', { check: 'passing' }));
    const web = watch('web');
    await waitFor(() => web.ready, { timeoutMs: 5000, message: 'first answer' });
    await put(standin.url, '/v1/catalog/register', { Node: 'n1', Address: '10.9.9.9' });
    await waitFor(() => events.some((e) => e.reason === 'nodes' && e.services.includes('web')), { timeoutMs: 5000, message: 'the node change' });
  });

  it('while its own queries fail (Consul down), readers fail too, keeping their data; back, they follow again', async () => {
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1', { check: 'passing' }));
    const errors: unknown[] = [];
    const read = healthServiceRead('web');
    const web = new BlockingWatcher(feed.blockingQuery('web', { ...read, parse: (body) => read.parse(body).map((i) => ({ Port: i.Port })) }), { name: 'web', waitSeconds: 30, backoff: { baseMs: 50, maxMs: 200 } });
    watchers.push(web as BlockingWatcher<unknown>);
    web.on('error', (err) => errors.push(err));
    web.start();
    await waitFor(() => web.ready, { timeoutMs: 5000, message: 'first answer' });
    const port = standin.port;
    await standin.stop();
    // Without this, the reader waited in memory for a change the feed could not see: "healthy" for its whole wait.
    await waitFor(() => !web.healthy, { timeoutMs: 5000, message: 'the reader reports the outage' });
    expect(web.data, 'its last good data stays').to.deep.equal([{ Port: 80 }]);
    standin = await startConsulStandin({ port });
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1', { check: 'passing', port: 8081 }));
    await waitFor(() => web.healthy && web.data?.[0]?.Port === 8081, { timeoutMs: 10_000, message: 'the reader follows the restarted agent' });
    expect(errors.length).to.be.at.least(1);
  });

  it('holds its budget of connections, not one per service', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `svc-${i}`);
    for (const name of names) await put(standin.url, '/v1/catalog/register', registration(name, 'n1', { check: 'passing' }));
    standin.resetConnectionPeaks();
    const all = names.map(watch);
    await waitFor(() => all.every((w) => w.ready), { timeoutMs: 10_000, message: 'every first answer' });
    await put(standin.url, '/v1/catalog/register', registration('svc-59', 'n1', { check: 'warning' }));
    await waitFor(() => all[59]?.data?.[0]?.Status === 'warning', { timeoutMs: 5000, message: 'svc-59 warning' });
    expect(feed.connectionBudget).to.equal(11);
    expect(standin.connectionPeaks()['127.0.0.1'] ?? 0).to.be.at.most(feed.connectionBudget);
  });

  it('services() from the feed: the catalog answer it already has, its index, no read of its own; a new name wakes it', async () => {
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1'));
    const catalog = new BlockingWatcher(feed.catalogServicesQuery(), { name: 'catalog', waitSeconds: 30 });
    watchers.push(catalog as BlockingWatcher<unknown>);
    catalog.start();
    await waitFor(() => catalog.ready, { timeoutMs: 5000, message: 'first answer' });
    expect(catalog.data?.map((s) => s.Name)).to.include('web');
    const reads = (): number => standin.requestCounts()['/v1/catalog/services'] ?? 0;
    const before = reads();
    const direct = await client.blocking(catalogServicesRead());
    expect(catalog.index, 'the catalog index, as its own query would answer').to.equal(direct.index);
    await put(standin.url, '/v1/catalog/register', registration('api', 'n1'));
    await waitFor(() => catalog.data?.some((s) => s.Name === 'api'), { timeoutMs: 5000, message: 'api in the catalog' });
    const fresh = await client.blocking(catalogServicesRead());
    expect(catalog.data).to.deep.equal(fresh.value);
    // The feed's own query answered the write (1) and the two direct reads above are ours (2): nothing else read it.
    expect(reads() - before).to.equal(3);
  });

  it('services() from the feed while Consul is down: the watcher reports the outage, keeps its data, follows again', async () => {
    await put(standin.url, '/v1/catalog/register', registration('web', 'n1'));
    const catalog = new BlockingWatcher(feed.catalogServicesQuery(), { name: 'catalog', waitSeconds: 30, backoff: { baseMs: 50, maxMs: 200 } });
    watchers.push(catalog as BlockingWatcher<unknown>);
    catalog.on('error', () => undefined);
    catalog.start();
    await waitFor(() => catalog.ready, { timeoutMs: 5000, message: 'first answer' });
    const port = standin.port;
    await standin.stop();
    await waitFor(() => !catalog.healthy, { timeoutMs: 5000, message: 'the outage reported' });
    expect(catalog.data?.map((s) => s.Name)).to.include('web');
    standin = await startConsulStandin({ port });
    await put(standin.url, '/v1/catalog/register', registration('api', 'n1'));
    await waitFor(() => catalog.healthy && catalog.data?.some((s) => s.Name === 'api'), { timeoutMs: 10_000, message: 'the restarted agent followed' });
  });
});
