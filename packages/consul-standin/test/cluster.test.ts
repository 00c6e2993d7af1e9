// Contract: a cluster. Every node has serfHealth; client agents forward to the servers with
// X-Consul-Index semantics cluster-wide; a stopped agent's node fails after the detection window,
// which invalidates sessions bound to it (lock-delay then holds others off); a graceful leave
// removes the node at once; members show it. Against a real cluster when CONSUL_HTTP_ADDR is set
// (CONSUL_HTTP_ADDR_2: a second agent); what needs killing agents or fast windows is stand-in only.

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConsulAgent, ConsulServer, startConsulServer } from '../src';
import { Client, eventually, realAgentAddress, standinOnly, Target, unique } from './support';
import { FAST_CLUSTER, Link, realSecondAgentAddress, StandinCluster, startStandinCluster } from './cluster-support';

const WINDOW_MS = FAST_CLUSTER.failureDetectionMs as number;

interface Node {
  client: Client;
  name: string;
  agent?: ConsulAgent;
  link?: Link;
}

/** Prints a measured figure beside the test output. */
function figure(text: string): void {
  process.stdout.write(`      figure: ${text}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consul-standin contract: cluster', function () {
  this.timeout(20_000);
  let cluster: StandinCluster | undefined;
  let a: Node;
  let b: Node | undefined;
  let target: Target;

  before(async () => {
    const address = realAgentAddress();
    if (address) {
      const normalise = (x: string) => (/^https?:\/\//.test(x) ? x : `http://${x}`);
      const token = process.env.CONSUL_HTTP_TOKEN || undefined;
      const client = new Client(normalise(address), token);
      a = { client, name: (await client.get('/v1/agent/self')).json().Config.NodeName };
      const second = realSecondAgentAddress();
      if (second) {
        const other = new Client(normalise(second), token);
        b = { client: other, name: (await other.get('/v1/agent/self')).json().Config.NodeName };
      }
      target = { client, real: true, node: a.name, stop: async () => undefined };
      return;
    }
    cluster = await startStandinCluster();
    const first = await cluster.addAgent('host-a', '127.0.0.2');
    const second = await cluster.addAgent('host-b', '127.0.0.3');
    a = { client: first.client, name: 'host-a', agent: first.agent, link: first.link };
    b = { client: second.client, name: 'host-b', agent: second.agent, link: second.link };
    target = { client: a.client, real: false, node: a.name, stop: async () => undefined };
  });

  after(async () => {
    await cluster?.stop();
  });

  const needSecond = (ctx: Mocha.Context): Node => {
    if (!b) {
      ctx.test!.title += ' (skipped: set CONSUL_HTTP_ADDR_2 to a second agent of the cluster)';
      ctx.skip();
    }
    return b as Node;
  };

  const serfOf = async (client: Client, node: string) =>
    (await client.get(`/v1/health/node/${node}`)).json().find((c: { CheckID: string }) => c.CheckID === 'serfHealth');
  const memberStatus = async (client: Client, node: string) =>
    (await client.get('/v1/agent/members')).json().find((m: { Name: string }) => m.Name === node)?.Status as number | undefined;
  /** Another agent learns of a change as gossip spreads: within a heartbeat here, seconds in Consul. */
  const eventuallyMember = (client: Client, node: string, status: number) =>
    eventually(`${node} to show Status ${status}`, async () => (await memberStatus(client, node)) === status, 5000, 20);

  describe('nodes and members', () => {
    it('every alive member\'s node has a passing serfHealth "Serf Health Status", and the catalog lists it', async () => {
      const nodes = (await a.client.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node);
      expect(nodes).to.include(a.name);
      if (b) expect(nodes).to.include(b.name);
      // Nodes registered through the catalog alone have no serfHealth; failed members a critical one.
      const alive = (await a.client.get('/v1/agent/members')).json().filter((m: { Status: number }) => m.Status === 1).map((m: { Name: string }) => m.Name);
      for (const node of alive as string[]) {
        expect(nodes).to.include(node);
        const serf = await serfOf(a.client, node);
        expect(serf, `serfHealth of ${node}`).to.include({ Name: 'Serf Health Status', Status: 'passing', ServiceID: '', Output: 'Agent alive and reachable' });
      }
    });

    it('/v1/agent/members lists every member with Status 1 (alive), servers with role consul', async () => {
      if (b) await eventuallyMember(a.client, b.name, 1);
      const members = (await a.client.get('/v1/agent/members')).json();
      const self = members.find((m: { Name: string }) => m.Name === a.name);
      expect(self).to.include({ Status: 1 });
      expect(self.Tags).to.include.keys('dc', 'role', 'build');
      expect(members.some((m: { Tags: { role: string } }) => m.Tags.role === 'consul')).to.equal(true);
      if (b) expect(members.find((m: { Name: string }) => m.Name === b!.name)).to.include({ Status: 1 });
    });

    it('a client agent answers /v1/agent/self for its own node, not as a server', async function () {
      const self = (await a.client.get('/v1/agent/self')).json();
      expect(self.Config.NodeName).to.equal(a.name);
      standinOnly(this, target, 'a real target may be a server agent');
      expect(self.Config.Server).to.equal(false);
      expect(self.Member.Tags.role).to.equal('node');
    });
  });

  describe('forwarding', () => {
    const registered: [Node, string][] = [];
    afterEach(async () => {
      for (const [node, id] of registered.splice(0)) await node.client.put(`/v1/agent/service/deregister/${id}`);
    });

    it('a service registered on one agent is in the catalog and health of every agent, on its node only', async function () {
      const other = needSecond(this);
      const name = unique('web');
      expect((await a.client.put('/v1/agent/service/register', { Name: name, Port: 8080, Check: { TTL: '30s', Status: 'passing' } })).status).to.equal(200);
      registered.push([a, name]);
      const entries = await eventually('the instance in health via the other agent', async () => {
        const list = (await other.client.get(`/v1/health/service/${name}?passing`)).json();
        return list.length === 1 ? list : undefined;
      });
      expect(entries[0].Node.Node).to.equal(a.name);
      expect(entries[0].Checks.map((c: { CheckID: string }) => c.CheckID)).to.deep.equal(['serfHealth', `service:${name}`]);
      expect((await other.client.get('/v1/agent/services')).json()).to.not.have.property(name);
      expect((await a.client.get('/v1/agent/services')).json()).to.have.property(name);
      const viaA = await a.client.get(`/v1/catalog/service/${name}`);
      const viaB = await other.client.get(`/v1/catalog/service/${name}`);
      expect(viaA.headers['x-consul-index']).to.equal(viaB.headers['x-consul-index']);
      expect(viaA.json()[0]).to.include({ Node: a.name, ServiceID: name, ServicePort: 8080 });
    });

    it('the catalog shows an agent\'s checks as the agent does: name, type, interval, timeout, definition', async function () {
      const other = needSecond(this);
      const name = unique('shapes');
      const self = `${a.client.baseUrl}/v1/status/leader`;
      const reply = await a.client.put('/v1/agent/service/register', {
        Name: name,
        Port: 7,
        Tags: ['t'],
        Checks: [{ TTL: '30s', Status: 'passing' }, { HTTP: self, Interval: '1s', Timeout: '2s', Name: 'http' }],
      });
      expect(reply.status, reply.text).to.equal(200);
      registered.push([a, name]);
      const local = (await a.client.get('/v1/agent/checks')).json();
      const fields = ['Node', 'CheckID', 'Name', 'Type', 'Interval', 'Timeout', 'ServiceID', 'ServiceName', 'ServiceTags', 'Definition'];
      const pick = (check: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, check[f]]));
      await eventually('both checks passing in the catalog', async () =>
        (await other.client.get(`/v1/health/checks/${name}`)).json().filter((c: { Status: string }) => c.Status === 'passing').length === 2);
      const remote = (await other.client.get(`/v1/health/checks/${name}`)).json();
      for (const check of remote) expect(pick(check), check.CheckID).to.deep.equal(pick(local[check.CheckID]));
      expect(remote.map((c: { Interval: string }) => c.Interval).sort()).to.deep.equal(['', '1s']);
    });

    it('a blocking query through one agent wakes on a registration through another, with a higher index', async function () {
      const other = needSecond(this);
      const name = unique('blocking');
      const first = await other.client.get(`/v1/health/service/${name}`);
      const index = Number(first.headers['x-consul-index']);
      const started = Date.now();
      const waiting = other.client.get(`/v1/health/service/${name}?index=${index}&wait=10s`);
      await sleep(100);
      await a.client.put('/v1/agent/service/register', { Name: name, Port: 81 });
      registered.push([a, name]);
      const woken = await waiting;
      expect(Date.now() - started).to.be.lessThan(5000);
      expect(Number(woken.headers['x-consul-index'])).to.be.greaterThan(index);
      expect(woken.json().map((e: { Node: { Node: string } }) => e.Node.Node)).to.deep.equal([a.name]);
    });

    it('a client that gives up on a blocking query through an agent frees it on the server too', async function () {
      standinOnly(this, target, 'reads the stand-in server\'s parked-query count');
      const key = `consul-standin-test/${unique('abandoned')}`;
      const index = (await a.client.get(`/v1/kv/${key}`)).headers['x-consul-index'];
      const before = cluster!.server.parkedQueries;
      const abandoned = a.client.get(`/v1/kv/${key}?index=${index}&wait=30s`, { timeoutMs: 300 }).then(() => 'answered', () => 'gave up');
      await eventually('the query parked on the server', async () => cluster!.server.parkedQueries > before);
      expect(await abandoned).to.equal('gave up');
      await eventually('the server to let it go', async () => cluster!.server.parkedQueries === before, 3000);
    });

    it('KV and sessions are cluster-wide: a session made through an agent is on its node; a lock taken through another holds', async function () {
      const other = needSecond(this);
      const key = `consul-standin-test/${unique('cluster-lock')}`;
      const created = await a.client.put('/v1/session/create', { Name: 'on-a', LockDelay: '0s' });
      expect(created.status, created.text).to.equal(200);
      const id = created.json().ID;
      try {
        const info = (await other.client.get(`/v1/session/info/${id}`)).json()[0];
        expect(info).to.include({ Node: a.name });
        expect(info.NodeChecks).to.deep.equal(['serfHealth']);
        expect((await other.client.get(`/v1/session/node/${a.name}`)).json().map((s: { ID: string }) => s.ID)).to.include(id);
        expect((await other.client.put(`/v1/kv/${key}?acquire=${id}`, 'held')).text).to.equal('true');
        const read = (await a.client.get(`/v1/kv/${key}`)).json()[0];
        expect(read).to.include({ Session: id, LockIndex: 1 });
        expect(Buffer.from(read.Value, 'base64').toString()).to.equal('held');
      } finally {
        await a.client.put(`/v1/session/destroy/${id}`);
        await a.client.delete(`/v1/kv/${key}`);
      }
    });
  });

  describe('failure detection (stand-in: fast windows, killed agents, cut links)', () => {
    it('a killed agent\'s node turns critical after the detection window, not before; its instances stop passing; members show it failed', async function () {
      standinOnly(this, target, `kills an agent and needs a ${WINDOW_MS} ms detection window`);
      const c = await cluster!.addAgent(unique('host-c'), '127.0.0.4');
      const name = unique('doomed');
      await c.client.put('/v1/agent/service/register', { Name: name, Port: 9, Check: { TTL: '30s', Status: 'passing' } });
      await eventually('the instance passing', async () => (await a.client.get(`/v1/health/service/${name}?passing`)).json().length === 1);
      const killed = Date.now();
      await c.agent.kill();
      await sleep(WINDOW_MS * 0.6);
      expect((await serfOf(a.client, c.agent.node)).Status, 'still passing inside the window').to.equal('passing');
      const serf = await eventually('serfHealth critical', async () => {
        const check = await serfOf(a.client, c.agent.node);
        return check?.Status === 'critical' ? check : undefined;
      }, WINDOW_MS + 3000, 10);
      const detected = Date.now() - killed;
      figure(`killed agent -> serfHealth critical in ${detected} ms (window ${WINDOW_MS} ms, heartbeat ${FAST_CLUSTER.heartbeatIntervalMs} ms)`);
      expect(detected).to.be.at.least(WINDOW_MS - (FAST_CLUSTER.heartbeatIntervalMs as number) - 50);
      expect(serf.Output).to.equal('Agent not live or unreachable');
      expect((await a.client.get(`/v1/health/service/${name}?passing`)).json()).to.deep.equal([]);
      expect((await a.client.get(`/v1/health/service/${name}`)).json()).to.have.length(1);
      await eventuallyMember(a.client, c.agent.node, 4);
      expect(await memberStatus(new Client(cluster!.server.url), c.agent.node)).to.equal(4);
      expect((await a.client.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node)).to.include(c.agent.node);
    });

    it('a lock held from a dead host is released after the window, and lock-delay holds others off after that; Behavior delete deletes', async function () {
      standinOnly(this, target, 'kills an agent');
      const c = await cluster!.addAgent(unique('host-d'), '127.0.0.5');
      const key = `consul-standin-test/${unique('leader')}`;
      const ephemeral = `${key}-ephemeral`;
      const lockDelayMs = 1000;
      const holder = (await c.client.put('/v1/session/create', { Name: 'leader', LockDelay: `${lockDelayMs}ms` })).json().ID;
      const deleting = (await c.client.put('/v1/session/create', { Behavior: 'delete', LockDelay: '0s' })).json().ID;
      const contender = (await a.client.put('/v1/session/create', { Name: 'contender', LockDelay: '0s' })).json().ID;
      try {
        expect((await c.client.put(`/v1/kv/${key}?acquire=${holder}`, 'c')).text).to.equal('true');
        expect((await c.client.put(`/v1/kv/${ephemeral}?acquire=${deleting}`, 'x')).text).to.equal('true');
        const index = (await a.client.get(`/v1/kv/${key}`)).headers['x-consul-index'];
        const watching = a.client.get(`/v1/kv/${key}?index=${index}&wait=15s`);
        const killed = Date.now();
        await c.agent.kill();
        // A contender retrying the whole time never gets the lock before the window + lock-delay.
        let acquiredAt = 0;
        while (Date.now() - killed < WINDOW_MS + lockDelayMs + 4000) {
          const got = (await b!.client.put(`/v1/kv/${key}?acquire=${contender}`, 'b')).text === 'true';
          if (got) {
            acquiredAt = Date.now() - killed;
            break;
          }
          await sleep(20);
        }
        const released = await watching;
        expect(released.json()[0]).to.not.have.property('Session');
        expect((await a.client.get(`/v1/session/info/${holder}`)).json()).to.deep.equal([]);
        expect((await a.client.get(`/v1/kv/${ephemeral}`)).status).to.equal(404);
        figure(`lock moved to another host ${acquiredAt} ms after its holder was killed (window ${WINDOW_MS} + lock-delay ${lockDelayMs} ms)`);
        expect(acquiredAt, 'acquired at all').to.be.greaterThan(0);
        expect(acquiredAt).to.be.at.least(WINDOW_MS + lockDelayMs - (FAST_CLUSTER.heartbeatIntervalMs as number) - 50);
        expect((await a.client.get(`/v1/kv/${key}`)).json()[0].Session).to.equal(contender);
      } finally {
        await a.client.put(`/v1/session/destroy/${contender}`);
        await a.client.delete(`/v1/kv/${key}`);
      }
    });

    it('a cut link fails the node; restored, it is passing again and what changed meanwhile re-syncs', async function () {
      standinOnly(this, target, 'cuts a host\'s link');
      const c = await cluster!.addAgent(unique('host-e'), '127.0.0.6');
      const before = unique('before');
      const during = unique('during');
      await c.client.put('/v1/agent/service/register', { Name: before, Port: 1 });
      await eventually('the first service in the catalog', async () => (await a.client.get(`/v1/catalog/service/${before}`)).json().length === 1);
      await c.link.cut();
      await eventually('serfHealth critical', async () => (await serfOf(a.client, c.agent.node))?.Status === 'critical', WINDOW_MS + 3000, 20);
      // The agent still answers its own endpoints; what it forwards fails as Consul's does without servers.
      expect((await c.client.put('/v1/agent/service/register', { Name: during, Port: 2 })).status).to.equal(200);
      const forwarded = await c.client.get('/v1/catalog/nodes');
      expect(forwarded.status).to.equal(500);
      expect(forwarded.text).to.equal('No known Consul servers');
      await eventuallyMember(c.client, cluster!.server.node, 4);
      await c.link.restore();
      await eventually('serfHealth passing again', async () => (await serfOf(a.client, c.agent.node))?.Status === 'passing', 5000, 20);
      await eventually('the service registered while cut in the catalog', async () => (await a.client.get(`/v1/catalog/service/${during}`)).json().length === 1);
      expect((await a.client.get(`/v1/catalog/service/${before}`)).json()).to.have.length(1);
      await eventuallyMember(a.client, c.agent.node, 1);
    });

    it('an agent restarted under the same node name comes back passing, with the state it registers again', async function () {
      standinOnly(this, target, 'restarts an agent');
      const node = unique('host-f');
      const first = await cluster!.addAgent(node, '127.0.0.7');
      const name = unique('again');
      await first.client.put('/v1/agent/service/register', { Name: name, Port: 3 });
      await first.agent.kill();
      await eventually('failed', async () => (await serfOf(a.client, node))?.Status === 'critical', WINDOW_MS + 3000, 20);
      const second = await cluster!.addAgent(node, '127.0.0.7');
      await eventually('passing again', async () => (await serfOf(a.client, node))?.Status === 'passing', 5000, 20);
      // A fresh agent has no services until something registers them (its sync replaces the node's state).
      await eventually('the old instance gone', async () => (await a.client.get(`/v1/catalog/service/${name}`)).json().length === 0);
      await second.client.put('/v1/agent/service/register', { Name: name, Port: 3 });
      await eventually('registered again', async () => (await a.client.get(`/v1/health/service/${name}?passing`)).json().length === 1);
    });
  });

  describe('a server replaced', () => {
    it('a new, empty server gets every agent\'s services back from their anti-entropy sync', async function () {
      standinOnly(this, target, 'replaces the server');
      const own = await startStandinCluster();
      let replacement: ConsulServer | undefined;
      try {
        const { client, link } = await own.addAgent('survivor', '127.0.0.14');
        const name = unique('survives');
        await client.put('/v1/agent/service/register', { Name: name, Port: 8, Check: { TTL: '30s', Status: 'passing' } });
        await eventually('registered', async () => (await client.get(`/v1/catalog/service/${name}`)).json().length === 1);
        await own.server.stop();
        replacement = await startConsulServer({ ...FAST_CLUSTER });
        link.retarget({ host: '127.0.0.1', port: replacement.port });
        await link.cut();
        await link.restore();
        const back = await eventually('the service in the new server\'s catalog', async () => {
          const list = (await client.get(`/v1/health/service/${name}?passing`)).json();
          return list.length === 1 ? list : undefined;
        }, 5000, 20);
        expect(back[0].Node.Node).to.equal('survivor');
      } finally {
        await own.stop();
        await replacement?.stop();
      }
    });
  });

  describe('ACLs', () => {
    it('agents heartbeat with the token; the server checks forwarded requests, the agent its own endpoints', async function () {
      standinOnly(this, target, 'starts a cluster with ACLs on');
      const secure = await startStandinCluster({ managementToken: 'cluster-secret' });
      try {
        const { client, agent } = await secure.addAgent('acl-host', '127.0.0.12');
        expect(agent.joined).to.equal(true);
        const anonymous = new Client(agent.url);
        const forwarded = await anonymous.get('/v1/kv/x');
        expect(forwarded.status).to.equal(403);
        expect(forwarded.text).to.contain("anonymous token lacks permission 'key:read'");
        const local = await anonymous.get('/v1/agent/services');
        expect(local.status).to.equal(403);
        expect((await client.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node)).to.include('acl-host');
        const sneaky = await new Client(secure.server.url).put('/v1/internal/standin/heartbeat', { Node: 'intruder', Address: '127.0.0.13' });
        expect(sneaky.status).to.equal(403);
      } finally {
        await secure.stop();
      }
    });
  });

  describe('data dir', () => {
    it('an agent killed and restarted with its data dir comes back with its node ID, services and checks', async function () {
      standinOnly(this, target, 'restarts an agent');
      const dataDir = mkdtempSync(path.join(tmpdir(), 'consul-standin-data-'));
      try {
        const node = unique('host-i');
        const first = await cluster!.addAgent(node, '127.0.0.11', { dataDir });
        const name = unique('kept');
        await first.client.put('/v1/agent/service/register', { Name: name, Port: 6, Check: { TTL: '30s', Status: 'passing' } });
        await first.client.put('/v1/agent/maintenance?enable=true&reason=draining');
        const id = (await first.client.get('/v1/agent/self')).json().Config.NodeID;
        await first.agent.kill();
        await eventually('failed', async () => (await serfOf(a.client, node))?.Status === 'critical', WINDOW_MS + 3000, 20);
        const second = await cluster!.addAgent(node, '127.0.0.11', { dataDir });
        expect((await second.client.get('/v1/agent/self')).json().Config.NodeID).to.equal(id);
        expect((await second.client.get('/v1/agent/services')).json()).to.have.property(name);
        expect((await second.client.get('/v1/agent/checks')).json()['_node_maintenance']).to.include({ Status: 'critical', Notes: 'draining' });
        await second.client.put('/v1/agent/maintenance?enable=false');
        const back = await eventually('the instance passing again', async () => {
          const list = (await a.client.get(`/v1/health/service/${name}?passing`)).json();
          return list.length === 1 ? list : undefined;
        });
        expect(back[0].Node.ID).to.equal(id);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('leave', () => {
    it('PUT /v1/agent/leave: the node and its services leave the catalog at once, its sessions end; members show it left', async function () {
      standinOnly(this, target, 'makes an agent leave');
      const c = await cluster!.addAgent(unique('host-g'), '127.0.0.8');
      const name = unique('leaving');
      await c.client.put('/v1/agent/service/register', { Name: name, Port: 4, Check: { TTL: '30s', Status: 'passing' } });
      await eventually('registered', async () => (await a.client.get(`/v1/health/service/${name}`)).json().length === 1);
      const session = (await c.client.put('/v1/session/create', { LockDelay: '0s' })).json().ID;
      const index = (await a.client.get(`/v1/health/service/${name}`)).headers['x-consul-index'];
      const watching = a.client.get(`/v1/health/service/${name}?index=${index}&wait=10s`);
      const left = await c.client.put('/v1/agent/leave');
      expect(left.status).to.equal(200);
      expect((await watching).json()).to.deep.equal([]);
      expect((await a.client.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node)).to.not.include(c.agent.node);
      expect((await a.client.get(`/v1/health/node/${c.agent.node}`)).json()).to.deep.equal([]);
      expect((await a.client.get(`/v1/session/info/${session}`)).json()).to.deep.equal([]);
      expect(await memberStatus(new Client(cluster!.server.url), c.agent.node)).to.equal(3);
      await eventuallyMember(a.client, c.agent.node, 3);
      await c.agent.left;
      await eventually('the agent to stop listening', async () => c.client.get('/v1/agent/self').then(() => false, () => true));
    });

    it('PUT /v1/agent/force-leave/:node moves a failed node to left; an unknown node is an error', async function () {
      standinOnly(this, target, 'kills an agent');
      const c = await cluster!.addAgent(unique('host-h'), '127.0.0.9');
      await c.agent.kill();
      await eventually('failed', async () => (await memberStatus(a.client, c.agent.node)) === 4, WINDOW_MS + 3000, 20);
      expect((await a.client.put(`/v1/agent/force-leave/${c.agent.node}`)).status).to.equal(200);
      await eventuallyMember(a.client, c.agent.node, 3);
      expect((await a.client.get('/v1/catalog/nodes')).json().map((n: { Node: string }) => n.Node)).to.not.include(c.agent.node);
      const unknown = await a.client.put(`/v1/agent/force-leave/${unique('nobody')}`);
      expect(unknown.status).to.equal(500);
      expect(unknown.text).to.contain('No node found with name');
    });
  });

  describe('datacenters', () => {
    it('lists the local datacenter first, and answers an unknown ?dc= with 500 "No path to datacenter"', async () => {
      const local = (await a.client.get('/v1/agent/self')).json().Config.Datacenter;
      const dcs = (await a.client.get('/v1/catalog/datacenters')).json();
      expect(dcs[0]).to.equal(local);
      for (const path of ['/v1/catalog/nodes', '/v1/kv/x', '/v1/health/service/consul']) {
        const reply = await a.client.get(`${path}?dc=${unique('nowhere')}`);
        expect(reply.status, path).to.equal(500);
        expect(reply.text, path).to.equal('No path to datacenter');
      }
    });

    it('a federated datacenter answers ?dc= from its own data, blocking queries included', async function () {
      standinOnly(this, target, 'needs a second, federated stand-in datacenter');
      const other = await startStandinCluster({ datacenter: 'dc2', node: 'server-dc2' });
      try {
        const server1 = cluster!.server;
        server1.federate('dc2', other.server.address);
        other.server.federate('dc1', server1.address);
        const remote = await other.addAgent('dc2-host', '127.0.0.10');
        expect((await a.client.get('/v1/catalog/datacenters')).json()).to.deep.equal(['dc1', 'dc2']);
        expect((await remote.client.get('/v1/catalog/datacenters')).json()).to.deep.equal(['dc2', 'dc1']);
        const key = `consul-standin-test/${unique('dc')}`;
        await remote.client.put(`/v1/kv/${key}`, 'from-dc2');
        expect((await a.client.get(`/v1/kv/${key}`)).status).to.equal(404);
        const viaDc = await a.client.get(`/v1/kv/${key}?dc=dc2&raw`);
        expect(viaDc.text).to.equal('from-dc2');
        const nodes = (await a.client.get('/v1/catalog/nodes?dc=dc2')).json();
        expect(nodes.map((n: { Node: string; Datacenter: string }) => [n.Node, n.Datacenter])).to.deep.include(['dc2-host', 'dc2']);
        const name = unique('dc2-web');
        const index = (await a.client.get(`/v1/health/service/${name}?dc=dc2`)).headers['x-consul-index'];
        const waiting = a.client.get(`/v1/health/service/${name}?dc=dc2&index=${index}&wait=10s`);
        await sleep(100);
        await remote.client.put('/v1/agent/service/register', { Name: name, Port: 5 });
        const woken = (await waiting).json();
        expect(woken.map((e: { Node: { Node: string; Datacenter: string } }) => [e.Node.Node, e.Node.Datacenter])).to.deep.equal([['dc2-host', 'dc2']]);
        expect((await a.client.get(`/v1/health/service/${name}`)).json()).to.deep.equal([]);
        // Catalog writes name their datacenter in the body too.
        const external = unique('ext');
        const registered = await a.client.put('/v1/catalog/register', { Datacenter: 'dc2', Node: external, Address: '10.9.9.9' });
        expect(registered.text).to.equal('true');
        expect((await remote.client.get(`/v1/catalog/node/${external}`)).json().Node).to.include({ Node: external, Datacenter: 'dc2' });
        expect((await a.client.get(`/v1/catalog/node/${external}`)).json()).to.equal(null);
      } finally {
        await other.stop();
        cluster!.server.federate('dc2', '127.0.0.1:1');
      }
    });
  });
});
