// Contract: PUT /v1/catalog/register and /v1/catalog/deregister, and other nodes in every catalog
// and health read (while the agent endpoints keep showing the agent's own node only).

import { expect } from 'chai';
import { eventually, openTarget, Target, unique } from './support';

interface HealthEntry {
  Node: { Node: string; Address: string; ID: string };
  Service: { ID: string; Service: string; Port: number; Address: string; Tags: string[]; Weights: unknown };
  Checks: { CheckID: string; Status: string; Node: string; ServiceID: string; ServiceName: string }[];
}

describe('consul-standin contract: catalog register and deregister', function () {
  let target: Target;
  const nodes: string[] = [];
  const agentServices: string[] = [];

  before(async () => {
    target = await openTarget();
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) await target.client.put('/v1/catalog/deregister', { Node: node });
    for (const id of agentServices.splice(0)) await target.client.put(`/v1/agent/service/deregister/${id}`);
  });

  after(async () => {
    await target.stop();
  });

  function newNode(): string {
    const node = unique('ext-node');
    nodes.push(node);
    return node;
  }

  async function catalogRegister(body: Record<string, unknown>): Promise<void> {
    const reply = await target.client.put('/v1/catalog/register', body);
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json()).to.equal(true);
  }

  async function health(name: string, query = ''): Promise<{ entries: HealthEntry[]; index: number }> {
    const reply = await target.client.get(`/v1/health/service/${name}${query}`);
    expect(reply.status, reply.text).to.equal(200);
    return { entries: reply.json(), index: Number(reply.headers['x-consul-index']) };
  }

  it('registers a node with a service and checks: catalog reads show it, the agent endpoints do not', async () => {
    const node = newNode();
    const name = unique('ext-svc');
    await catalogRegister({
      Node: node,
      Address: '127.0.0.2',
      NodeMeta: { rack: 'r1' },
      Service: { ID: `${name}-1`, Service: name, Tags: ['blue'], Address: '127.0.0.3', Port: 8080, Meta: { v: '1' } },
      Checks: [
        { CheckID: 'node-alive', Name: 'node alive', Status: 'passing' },
        { CheckID: `${name}-1-http`, Name: 'http', Status: 'passing', ServiceID: `${name}-1` },
      ],
    });

    const allNodes = (await target.client.get('/v1/catalog/nodes')).json() as { Node: string; Address: string; Meta: Record<string, string> }[];
    const listed = allNodes.find((n) => n.Node === node);
    expect(listed).to.include({ Address: '127.0.0.2' });
    expect(listed!.Meta).to.deep.equal({ rack: 'r1' });
    expect(allNodes.map((n) => n.Node)).to.include(target.node);

    const one = (await target.client.get(`/v1/catalog/node/${node}`)).json();
    expect(one.Node).to.include({ Node: node, Address: '127.0.0.2' });
    expect(Object.keys(one.Services)).to.deep.equal([`${name}-1`]);
    expect(one.Services[`${name}-1`]).to.include({ Service: name, Port: 8080, Address: '127.0.0.3' });

    const services = (await target.client.get('/v1/catalog/services')).json();
    expect(services[name]).to.deep.equal(['blue']);
    const instances = (await target.client.get(`/v1/catalog/service/${name}`)).json();
    expect(instances).to.have.length(1);
    expect(instances[0]).to.include({ Node: node, Address: '127.0.0.2', ServiceID: `${name}-1`, ServiceAddress: '127.0.0.3', ServicePort: 8080 });
    expect(instances[0].ServiceWeights).to.deep.equal({ Passing: 1, Warning: 1 });

    const agentServiceIds = Object.keys((await target.client.get('/v1/agent/services')).json());
    expect(agentServiceIds).to.not.include(`${name}-1`);
    const agentCheckIds = Object.keys((await target.client.get('/v1/agent/checks')).json());
    expect(agentCheckIds).to.not.include.members(['node-alive', `${name}-1-http`]);
    expect((await target.client.get(`/v1/agent/service/${name}-1`)).status).to.equal(404);
  });

  it('/v1/health/service lists instances on every node, each with its own node checks (no serfHealth off the agent)', async () => {
    const node = newNode();
    const name = unique('ext-health');
    const local = await target.client.put('/v1/agent/service/register', { ID: `${name}-local`, Name: name, Check: { TTL: '30s', Status: 'passing' } });
    expect(local.status, local.text).to.equal(200);
    agentServices.push(`${name}-local`);
    await catalogRegister({
      Node: node,
      Address: '127.0.0.2',
      Service: { ID: `${name}-remote`, Service: name, Port: 81 },
      Check: { CheckID: 'alive', Name: 'alive', Status: 'passing' },
    });
    const { entries } = await health(name);
    expect(entries.map((e) => `${e.Node.Node}/${e.Service.ID}`)).to.have.members([`${target.node}/${name}-local`, `${node}/${name}-remote`]);
    const remote = entries.find((e) => e.Node.Node === node)!;
    expect(remote.Checks.map((c) => c.CheckID)).to.deep.equal(['alive']);
    expect(remote.Checks[0]).to.include({ Node: node, Status: 'passing', ServiceID: '' });
    expect(remote.Service.Tags).to.deep.equal([]);
    const localEntry = entries.find((e) => e.Node.Node === target.node)!;
    expect(localEntry.Checks.map((c) => c.CheckID)).to.include('serfHealth');
    expect(localEntry.Checks.every((c) => c.Node === target.node)).to.equal(true);

    // A critical node check takes every instance on that node out of ?passing; the agent's stay.
    await catalogRegister({ Node: node, Address: '127.0.0.2', Check: { CheckID: 'alive', Name: 'alive', Status: 'critical' } });
    const passing = (await health(name, '?passing')).entries;
    expect(passing.map((e) => e.Service.ID)).to.deep.equal([`${name}-local`]);

    const byNode = encodeURIComponent(`Node.Node == "${node}"`);
    expect((await health(name, `?filter=${byNode}`)).entries.map((e) => e.Service.ID)).to.deep.equal([`${name}-remote`]);
  });

  it('/v1/health/node, /v1/health/state and /v1/health/checks include checks on other nodes; Status defaults to critical', async () => {
    const node = newNode();
    const name = unique('ext-checks');
    await catalogRegister({
      Node: node,
      Address: '127.0.0.2',
      Service: { Service: name, Port: 82 },
      Checks: [
        { Name: 'node-check', Status: 'warning' },
        { CheckID: `${name}-svc`, Name: 'svc', ServiceID: name, Output: 'not yet' },
      ],
    });
    const nodeChecks = (await target.client.get(`/v1/health/node/${node}`)).json() as { CheckID: string; Status: string; Node: string }[];
    expect(nodeChecks.map((c) => c.CheckID)).to.have.members(['node-check', `${name}-svc`]);
    expect(nodeChecks.every((c) => c.Node === node)).to.equal(true);
    const critical = (await target.client.get('/v1/health/state/critical')).json() as { CheckID: string; Node: string; Output: string }[];
    expect(critical.find((c) => c.Node === node && c.CheckID === `${name}-svc`)).to.include({ Output: 'not yet' });
    const warning = (await target.client.get('/v1/health/state/warning')).json() as { CheckID: string; Node: string }[];
    expect(warning.some((c) => c.Node === node && c.CheckID === 'node-check')).to.equal(true);
    const serviceChecks = (await target.client.get(`/v1/health/checks/${name}`)).json();
    expect(serviceChecks).to.have.length(1);
    expect(serviceChecks[0]).to.include({ CheckID: `${name}-svc`, Status: 'critical', ServiceID: name, ServiceName: name, Node: node });
    expect((await target.client.get(`/v1/health/node/${unique('nobody')}`)).json()).to.deep.equal([]);
    expect((await target.client.get(`/v1/catalog/node/${unique('nobody')}`)).json()).to.equal(null);
  });

  it('deregisters a check, a service with its checks, then the whole node; unknown names answer true', async () => {
    const node = newNode();
    const name = unique('ext-dereg');
    const register = (n: number) => catalogRegister({
      Node: node,
      Address: '127.0.0.2',
      Service: { ID: `${name}-${n}`, Service: name, Port: 9000 + n },
      Checks: [{ CheckID: `${name}-${n}-check`, Name: 'c', Status: 'passing', ServiceID: `${name}-${n}` }],
    });
    await register(1);
    await register(2);
    await catalogRegister({ Node: node, Address: '127.0.0.2', Check: { CheckID: 'node-level', Name: 'n', Status: 'passing' } });
    expect((await health(name)).entries).to.have.length(2);

    const dropCheck = await target.client.put('/v1/catalog/deregister', { Node: node, CheckID: 'node-level' });
    expect(dropCheck.status, dropCheck.text).to.equal(200);
    expect(dropCheck.json()).to.equal(true);
    const checkIds = ((await target.client.get(`/v1/health/node/${node}`)).json() as { CheckID: string }[]).map((c) => c.CheckID);
    expect(checkIds).to.have.members([`${name}-1-check`, `${name}-2-check`]);

    expect((await target.client.put('/v1/catalog/deregister', { Node: node, ServiceID: `${name}-1` })).json()).to.equal(true);
    expect((await health(name)).entries.map((e) => e.Service.ID)).to.deep.equal([`${name}-2`]);
    const left = ((await target.client.get(`/v1/health/node/${node}`)).json() as { CheckID: string }[]).map((c) => c.CheckID);
    expect(left).to.deep.equal([`${name}-2-check`]);

    expect((await target.client.put('/v1/catalog/deregister', { Node: node })).json()).to.equal(true);
    expect((await health(name)).entries).to.deep.equal([]);
    expect((await target.client.get(`/v1/catalog/node/${node}`)).json()).to.equal(null);
    const names = ((await target.client.get('/v1/catalog/nodes')).json() as { Node: string }[]).map((n) => n.Node);
    expect(names).to.not.include(node);
    expect((await target.client.get(`/v1/health/node/${node}`)).json()).to.deep.equal([]);

    const unknown = await target.client.put('/v1/catalog/deregister', { Node: unique('never'), ServiceID: 'x' });
    expect(unknown.status, unknown.text).to.equal(200);
    expect(unknown.json()).to.equal(true);
  });

  it('an unchanged re-registration keeps the indexes; SkipNodeUpdate keeps the node as it is', async () => {
    const node = newNode();
    const name = unique('ext-idem');
    const body = { Node: node, Address: '127.0.0.2', Service: { ID: name, Service: name, Port: 1 } };
    await catalogRegister(body);
    const before = (await target.client.get(`/v1/catalog/service/${name}`)).json()[0];
    await catalogRegister(body);
    const after = (await target.client.get(`/v1/catalog/service/${name}`)).json()[0];
    expect(after.ModifyIndex).to.equal(before.ModifyIndex);
    expect(after.CreateIndex).to.equal(before.CreateIndex);

    await catalogRegister({ Node: node, Address: '127.0.0.9', SkipNodeUpdate: true, Service: { ID: name, Service: name, Port: 2 } });
    const skipped = (await target.client.get(`/v1/catalog/service/${name}`)).json()[0];
    expect(skipped).to.include({ Address: '127.0.0.2', ServicePort: 2 });
    expect(skipped.CreateIndex).to.equal(before.CreateIndex);
    expect(skipped.ModifyIndex).to.be.greaterThan(before.ModifyIndex);

    await catalogRegister({ Node: node, Address: '127.0.0.9' });
    expect((await target.client.get(`/v1/catalog/service/${name}`)).json()[0]).to.include({ Address: '127.0.0.9', ServicePort: 2 });
  });

  it('refuses what Consul refuses, with its status codes and texts', async () => {
    const node = unique('ext-bad');
    const cases: { body: unknown; status: number; text: string | RegExp }[] = [
      { body: { Address: '127.0.0.2' }, status: 500, text: 'Must provide node' },
      { body: { Node: node }, status: 500, text: 'Must provide address if SkipNodeUpdate is not set' },
      { body: { Node: node, Address: '127.0.0.2', ID: 'not-a-uuid' }, status: 500, text: /^Bad node ID: uuid/ },
      { body: { Node: node, Address: '127.0.0.2', Service: { ID: 'x', Port: 1 } }, status: 500, text: /Must provide service name/ },
      { body: { Node: node, Address: '127.0.0.2', Service: { Service: 'x', Address: '0.0.0.0' } }, status: 500, text: 'Invalid service address' },
      {
        body: { Node: node, Address: '127.0.0.2', Checks: [{ CheckID: 'c', Name: 'c', ServiceID: 'nope' }] },
        status: 500,
        text: "Unknown service ID 'nope' for check ID 'c'",
      },
      {
        body: { Node: node, Address: '127.0.0.2', Checks: [{ Node: `${node}-other`, CheckID: 'c', Name: 'c' }] },
        status: 500,
        text: `Node '${node}-other' for check 'c' doesn't match register request node '${node}'`,
      },
      { body: { Node: node, Address: '127.0.0.2', Service: { Service: 'x', Port: 'eighty' } }, status: 400, text: /^Request decode failed: / },
      { body: '{"Node": ', status: 400, text: /^Request decode failed: / },
    ];
    for (const { body, status, text } of cases) {
      const reply = await target.client.put('/v1/catalog/register', body);
      expect(reply.status, `${JSON.stringify(body)}: ${reply.text}`).to.equal(status);
      if (typeof text === 'string') expect(reply.text.trim()).to.equal(text);
      else expect(reply.text).to.match(text);
    }
    const names = ((await target.client.get('/v1/catalog/nodes')).json() as { Node: string }[]).map((n) => n.Node);
    expect(names, 'a refused registration writes nothing').to.not.include(node);
    const noNode = await target.client.put('/v1/catalog/deregister', { ServiceID: 'x' });
    expect(noNode.status).to.equal(500);
    expect(noNode.text.trim()).to.equal('Must provide node');
    const get = await target.client.get('/v1/catalog/register');
    expect(get.status).to.equal(405);
  });

  it('blocking health and catalog queries wake on catalog writes to other nodes', async () => {
    const node = newNode();
    const name = unique('ext-block');
    const first = await health(name);
    const waiting = target.client.get(`/v1/health/service/${name}?index=${first.index}&wait=30s`);
    const nodesFirst = await target.client.get('/v1/catalog/nodes');
    const nodesWaiting = target.client.get(`/v1/catalog/nodes?index=${nodesFirst.headers['x-consul-index']}&wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    await catalogRegister({
      Node: node,
      Address: '127.0.0.2',
      Service: { ID: name, Service: name, Port: 1 },
      Check: { CheckID: `${name}-c`, Name: 'c', Status: 'passing', ServiceID: name },
    });
    const woken = await waiting;
    expect(Date.now() - started).to.be.lessThan(10_000);
    expect(Number(woken.headers['x-consul-index'])).to.be.greaterThan(first.index);
    expect(woken.json()).to.have.length(1);
    const nodesWoken = await nodesWaiting;
    expect((nodesWoken.json() as { Node: string }[]).map((n) => n.Node)).to.include(node);

    // A node-level check change on that node wakes the service's watchers too.
    const second = await health(name);
    const again = target.client.get(`/v1/health/service/${name}?index=${second.index}&wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await catalogRegister({ Node: node, Address: '127.0.0.2', Check: { CheckID: 'node-down', Name: 'down', Status: 'critical' } });
    const changed = (await again).json() as HealthEntry[];
    expect(changed[0].Checks.map((c) => c.CheckID)).to.include('node-down');
    expect((await health(name, '?passing')).entries).to.deep.equal([]);
  });

  it("node maintenance on the agent's node leaves instances on other nodes passing", async () => {
    const node = newNode();
    const name = unique('ext-maint');
    const local = await target.client.put('/v1/agent/service/register', { ID: `${name}-local`, Name: name, Check: { TTL: '30s', Status: 'passing' } });
    expect(local.status, local.text).to.equal(200);
    agentServices.push(`${name}-local`);
    await catalogRegister({
      Node: node,
      Address: '127.0.0.2',
      Service: { ID: `${name}-remote`, Service: name, Port: 1 },
      Check: { CheckID: `${name}-remote-c`, Name: 'c', Status: 'passing', ServiceID: `${name}-remote` },
    });
    try {
      expect((await target.client.put('/v1/agent/maintenance?enable=true&reason=contract')).status).to.equal(200);
      const passing = await eventually('only the other node passing', async () => {
        const { entries } = await health(name, '?passing');
        return entries.length === 1 ? entries : undefined;
      });
      expect(passing[0].Node.Node).to.equal(node);
    } finally {
      await target.client.put('/v1/agent/maintenance?enable=false');
    }
    await eventually('both passing again', async () => (await health(name, '?passing')).entries.length === 2);
  });
});
