// core's ServiceChangeFeed against the Consul stand-in: which write names which services (a check: its service;
// a check-less instance change: the catalog index, then a sweep; a node change: its services, then a sweep),
// readers woken only by a change or their wait, and the connections held bounded by the budget at any N.

import { expect } from 'chai';
import { BlockingWatcher, ConsulHttpClient, consulSettingsFromEnv, healthServiceRead, ServiceChangeFeed, waitFor, type FeedChangeReason, type HealthStatus } from '../src';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { putAsWriter as put } from '../../../test/support/consul-writes';

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
});
