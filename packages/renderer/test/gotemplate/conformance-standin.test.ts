// The conformance cases that read data (issue #17 acceptance), run through the real pipeline: Runner -> watchers ->
// Consul stand-ins holding the conformance data (DOC_DATA) -> the Go engine -> the file on disk, byte-compared with
// the expectations of the engine's own conformance tables (imported, not copied; each says where it comes from).

import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, errorCodeOf, errorMessage, waitFor } from '@consul-sidecars/core';
import { startConsulAgent, startConsulServer, type ConsulAgent, type ConsulServer } from '../../../consul-standin/src';
import { resolveRendererConfig } from '../../src/config';
import { Runner } from '../../src/runner';
import type { HealthService } from '../../src/gotemplate';
import { API_CASES } from './conformance-api.test';
import { DOC_DATA, type ConformanceCase } from './conformance-data';
import { GO_CASES } from './conformance-go.test';
import { HELPER_CASES } from './conformance-helpers.test';
import { standinPut } from '../standin-put';

/** The functions that read Consul or files: the cases using one of them run here. */
const DATA_FUNCTION = /(^|[\s(|])(service|services|node|nodes|datacenters|key|keyOrDefault|keyExists|ls|safeLs|tree|safeTree|file)([\s)}]|$)/;

/** Cases that cannot run against a real catalog, and why (everything else using a data function runs). */
const NOT_HERE: Record<string, string> = {
  nodes: 'its fixed node list leaves out the nodes its services run on; a real catalog lists those too',
  datacenters: 'it lists dc1 and dc2 while the same data has services in east-aws, a third federated datacenter',
  file: 'it reads a fixed path outside the test directory (/path/to/my/file)',
  trimSpace: 'it reads a fixed path outside the test directory (/etc/ec2_version)',
  'keyOrDefault renders the default before Consul answers': 'a first phase: the runner writes nothing until every query answered (runner tests)',
  'service before Consul answers': 'a first phase: the runner writes nothing until every query answered (runner tests)',
  'keyOrDefault of an absent key': 'it renders against an empty data set, not DOC_DATA',
};

/** One HealthService as Consul would hold it: a passing one has no check (no checks is passing), others one check. */
async function register(url: string, s: HealthService): Promise<void> {
  const serviceId = s.ID;
  await standinPut(url, '/v1/catalog/register', {
    Node: s.Node, Address: s.NodeAddress,
    Service: { ID: serviceId, Service: s.Name, Port: s.Port, Tags: s.Tags, Meta: s.ServiceMeta, TaggedAddresses: s.ServiceTaggedAddresses, Address: s.Address === s.NodeAddress ? '' : s.Address },
    ...(s.Status === 'passing' ? {} : { Check: { CheckID: `check-${serviceId}`, Name: 'check', Status: s.Status, ServiceID: serviceId } }),
  });
}

describe('gotemplate conformance through the runner and the Consul stand-in', function () {
  this.timeout(60_000);
  const servers: ConsulServer[] = [];
  let agent: ConsulAgent;
  let client: ConsulHttpClient;
  let dir: string;

  before(async () => {
    // dc1's server is node01 (it runs the `consul` service, at 10.0.0.1 as the data has it); the agent the renderer
    // talks to is agent01, the data's local node; dc2's server is node1, the one node the data lists there.
    const dc1 = await startConsulServer({ datacenter: 'dc1', node: 'node01', advertiseAddress: '10.0.0.1' });
    const dc2 = await startConsulServer({ datacenter: 'dc2', node: 'node1', advertiseAddress: '10.4.2.6' });
    const east = await startConsulServer({ datacenter: 'east-aws', node: 'east-server' });
    servers.push(dc1, dc2, east);
    for (const [a, b] of [[dc1, dc2], [dc1, east], [dc2, east]] as const) {
      a.federate(b.datacenter, b.address);
      b.federate(a.datacenter, a.address);
    }
    const byDc: Record<string, ConsulServer> = { dc1, dc2, 'east-aws': east };
    for (const [dc, services] of Object.entries(DOC_DATA.services ?? {})) {
      for (const [name, instances] of Object.entries(services)) {
        for (const s of instances) if (!(dc === 'dc1' && name === 'consul')) await register(byDc[dc].url, s);
      }
    }
    for (const [dc, kv] of Object.entries(DOC_DATA.kv ?? {})) for (const [key, value] of Object.entries(kv)) await standinPut(byDc[dc].url, `/v1/kv/${key}`, value);
    for (const n of DOC_DATA.nodes?.dc1 ?? []) if (n.Node.Node !== 'agent01') await standinPut(dc1.url, '/v1/catalog/register', { Node: n.Node.Node, Address: n.Node.Address });
    agent = await startConsulAgent({ serverAddress: dc1.address, node: 'agent01', advertiseAddress: '10.5.2.6' });
    await waitFor(() => agent.joined, { timeoutMs: 10_000, message: 'agent01 joined dc1' });
    client = new ConsulHttpClient({ scheme: 'http', host: '127.0.0.1', port: agent.port, verifyTls: true });
  });
  after(async () => {
    client?.close();
    await agent?.stop();
    for (const s of servers) await s.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-conformance-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, ConformanceCase][] = Object.entries({ ...API_CASES, ...HELPER_CASES, ...GO_CASES })
    .filter(([, c]) => DATA_FUNCTION.test(c.template));

  it('runs at least 30 data cases, and says why each one left out is', () => {
    const names = new Set(cases.map(([title]) => title));
    for (const title of Object.keys(NOT_HERE)) expect(names.has(title), `${title} is a data case`).to.equal(true);
    expect(cases.length - Object.keys(NOT_HERE).length).to.be.at.least(30);
  });

  for (const [title, c] of cases) {
    if (NOT_HERE[title]) continue;
    it(`${title} (${c.from})`, async () => {
      const destination = join(dir, 'out');
      const held = c.heldBy !== undefined && c.heldBy.length > 0;
      const config = resolveRendererConfig({
        // A blocked render stays pending: --once gives up after onceTimeout. minInstances 0: the renderer's guard
        // (its addition, on by default) would hold the renders of an empty list that consul-template writes.
        once: true, onceTimeout: held ? '1s' : '10s',
        templates: [{
          contents: c.template, destination, engine: 'go', guard: { minInstances: 0 },
          leftDelimiter: c.leftDelimiter, rightDelimiter: c.rightDelimiter, errorOnMissingKey: c.errorOnMissingKey, functionDenylist: c.functionDenylist,
        }],
      }, dir);
      let runner: Runner;
      try {
        runner = new Runner({ config, consul: client, env: c.env ?? {} });
      } catch (err) {
        // A parse error: the template does not compile, so the renderer does not start (ERR_TEMPLATE_SYNTAX).
        expect(c.error, String(err)).to.not.equal(undefined);
        expect(errorCodeOf(err)).to.equal('ERR_TEMPLATE_SYNTAX');
        expect(errorMessage(err).replace(`template inline:${destination}: `, '')).to.equal(c.error);
        return;
      }
      const { templates: [report] } = await runner.runOnce();
      const written = existsSync(destination) ? readFileSync(destination, 'utf8') : undefined;
      if (c.error !== undefined) {
        expect(report.status, JSON.stringify(report)).to.equal('error');
        const message = report.reason?.replace(`template inline:${destination}: `, '');
        if (c.error instanceof RegExp) expect(message).to.match(c.error);
        else expect(message).to.equal(c.error);
        expect(written).to.equal(undefined);
      } else if (held) {
        expect(report.status, JSON.stringify(report)).to.equal('pending');
        expect(written).to.equal(undefined);
      } else {
        expect(report.status, JSON.stringify(report)).to.equal('ok');
        expect(written).to.equal(c.expect);
      }
    });
  }
});
