// The catalog, KV, agent, session and txn readers: each field read, each bad payload named by its path.

import { expect } from 'chai';
import {
  ERR_CONSUL_PAYLOAD,
  parseAgentChecks,
  parseAgentMembers,
  parseAgentSelf,
  parseAgentServices,
  parseCatalogNodes,
  parseCatalogService,
  parseCatalogServices,
  parseKvEntries,
  parseKvKeys,
  parseLeader,
  parseSessions,
  parseTxnResult,
} from '../src';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function rejects(parse: () => unknown, message: string): void {
  expect(parse).to.throw(message).with.property('code', ERR_CONSUL_PAYLOAD);
}

describe('core/consul: catalog readers', () => {
  it('reads /v1/catalog/services into sorted names with unique sorted tags', () => {
    expect(parseCatalogServices({ web: ['b', 'a', 'b'], consul: [], db: null })).to.deep.equal([
      { Name: 'consul', Tags: [] },
      { Name: 'db', Tags: [] },
      { Name: 'web', Tags: ['a', 'b'] },
    ]);
  });

  it('reads /v1/catalog/service entries', () => {
    const [i] = parseCatalogService([
      { ID: 'n', Node: 'node1', Address: '10.0.0.1', Datacenter: 'dc1', TaggedAddresses: { lan: '10.0.0.1' }, NodeMeta: { a: 'b' }, ServiceID: 'web-1', ServiceName: 'web', ServiceAddress: '', ServicePort: 80, ServiceTags: ['x'], ServiceMeta: null, ServiceWeights: { Passing: 3, Warning: 1 }, ServiceEnableTagOverride: false },
    ]);
    expect(i).to.deep.include({ Node: 'node1', ServiceID: 'web-1', ServiceName: 'web', ServicePort: 80, ServiceTags: ['x'], ServiceMeta: {}, ServiceWeights: { Passing: 3, Warning: 1 }, ServiceTaggedAddresses: {}, ServiceKind: '' });
  });

  it('reads /v1/catalog/nodes sorted by node', () => {
    const nodes = parseCatalogNodes([{ Node: 'b', Address: '2', ID: 'x', Meta: null }, { Node: 'a', Address: '1', Datacenter: 'dc1', TaggedAddresses: { lan: '1' } }]);
    expect(nodes.map((n) => [n.Node, n.Address, n.Datacenter, n.Meta])).to.deep.equal([['a', '1', 'dc1', {}], ['b', '2', '', {}]]);
  });

  const bad: Array<[string, () => unknown, string]> = [
    ['catalog services that are a list', () => parseCatalogServices(['web']), '(body) is ["web"], expected an object'],
    ['a catalog service tag that is a number', () => parseCatalogServices({ web: [1] }), 'web[0] is 1, expected a string'],
    ['a catalog service with a string port', () => parseCatalogService([{ Node: 'n', Address: 'a', ServiceID: 's', ServiceName: 'w', ServicePort: '80' }]), '[0].ServicePort is "80"'],
    ['a catalog service without ServiceID', () => parseCatalogService([{ Node: 'n', Address: 'a', ServiceName: 'w', ServicePort: 80 }]), '[0].ServiceID is missing'],
    ['a node without a name', () => parseCatalogNodes([{ Address: 'a' }]), '[0].Node is missing'],
    ['nodes that are an object', () => parseCatalogNodes({}), '(body) is {}, expected a list'],
  ];
  for (const [what, parse, message] of bad) it(`rejects ${what}`, () => rejects(parse, message));
});

describe('core/consul: KV readers', () => {
  it('decodes base64 values and keeps flags, session and indexes', () => {
    const [e] = parseKvEntries([{ Key: 'app/config', Value: b64('héllo'), Flags: 42, Session: 'abc', LockIndex: 1, CreateIndex: 5, ModifyIndex: 9 }]);
    expect(e).to.deep.equal({ Key: 'app/config', Value: 'héllo', Flags: 42, Session: 'abc', LockIndex: 1, CreateIndex: 5, ModifyIndex: 9 });
  });

  it('reads a null value as null, a missing key (404 -> null body) as no entries', () => {
    expect(parseKvEntries([{ Key: 'folder/', Value: null, Flags: 0 }])[0].Value).to.equal(null);
    expect(parseKvEntries(null)).to.deep.equal([]);
    expect(parseKvKeys(['a/', 'a/b'])).to.deep.equal(['a/', 'a/b']);
  });

  const bad: Array<[string, () => unknown, string]> = [
    ['a value that is not base64', () => parseKvEntries([{ Key: 'k', Value: 'not base64!' }]), '[0].Value is "not base64!", expected base64 text or null'],
    ['a numeric key', () => parseKvEntries([{ Key: 1 }]), '[0].Key is 1, expected a string'],
    ['string flags', () => parseKvEntries([{ Key: 'k', Value: null, Flags: '1' }]), '[0].Flags is "1", expected an integer'],
    ['a numeric session', () => parseKvEntries([{ Key: 'k', Value: null, Session: 5 }]), '[0].Session is 5'],
    ['a key list with a number', () => parseKvKeys(['a', 2]), '[1] is 2, expected a key name'],
  ];
  for (const [what, parse, message] of bad) it(`rejects ${what}`, () => rejects(parse, message));
});

describe('core/consul: agent, session, txn and status readers', () => {
  it('reads /v1/agent/services with every registration field', () => {
    const [s] = parseAgentServices({
      'web-1': { ID: 'web-1', Service: 'web', Tags: ['a'], Meta: { m: 'v' }, Port: 80, Address: '10.0.0.5', TaggedAddresses: { wan: { Address: '192.0.2.5', Port: 8080 } }, Weights: { Passing: 5, Warning: 2 }, EnableTagOverride: true, Datacenter: 'dc1' },
    });
    expect(s).to.deep.equal({ ID: 'web-1', Service: 'web', Kind: '', Tags: ['a'], Meta: { m: 'v' }, Address: '10.0.0.5', Port: 80, TaggedAddresses: { wan: { Address: '192.0.2.5', Port: 8080 } }, Weights: { Passing: 5, Warning: 2 }, EnableTagOverride: true, Datacenter: 'dc1' });
  });

  it('reads agent checks, members and self', () => {
    expect(parseAgentChecks({ b: { CheckID: 'b', Status: 'critical' }, a: { CheckID: 'a', Status: 'passing' } }).map((c) => c.CheckID)).to.deep.equal(['a', 'b']);
    expect(parseAgentMembers([{ Name: 'n', Addr: '127.0.0.1', Port: 8301, Tags: { role: 'node' }, Status: 1 }])[0]).to.deep.equal({ Name: 'n', Addr: '127.0.0.1', Port: 8301, Tags: { role: 'node' }, Status: 1 });
    expect(parseAgentSelf({ Config: { Datacenter: 'dc1', NodeName: 'n', Server: true, Version: '1.20.0' }, Member: {} })).to.deep.equal({ Datacenter: 'dc1', NodeName: 'n', NodeID: '', Server: true, Version: '1.20.0' });
  });

  it('reads sessions, txn results and the leader', () => {
    expect(parseSessions([{ ID: 's', Name: 'x', Node: 'n', Behavior: 'release', TTL: '15s', LockDelay: 15e9, CreateIndex: 1, ModifyIndex: 1 }])[0]).to.include({ ID: 's', TTL: '15s', LockDelay: 15e9 });
    expect(parseSessions([])).to.deep.equal([]);
    const txn = parseTxnResult({ Results: [{ KV: { Key: 'k', Value: b64('v'), Flags: 0, CreateIndex: 3, ModifyIndex: 3 } }], Errors: null }, true);
    expect(txn).to.deep.equal({ ok: true, results: [{ Key: 'k', Value: 'v', Flags: 0, LockIndex: 0, CreateIndex: 3, ModifyIndex: 3 }], errors: [] });
    expect(parseTxnResult({ Results: null, Errors: [{ OpIndex: 1, What: 'failed' }] }, false).errors).to.deep.equal([{ OpIndex: 1, What: 'failed' }]);
    expect(parseLeader('127.0.0.1:8300')).to.equal('127.0.0.1:8300');
  });

  const bad: Array<[string, () => unknown, string]> = [
    ['an agent service with a numeric name', () => parseAgentServices({ x: { ID: 'x', Service: 1 } }), 'x.Service is 1, expected a string'],
    ['agent services that are a list', () => parseAgentServices([]), '(body) is [], expected an object'],
    ['an agent check with a bad status', () => parseAgentChecks({ c: { CheckID: 'c', Status: 'unknown' } }), 'c.Status is "unknown"'],
    ['a member with a string status', () => parseAgentMembers([{ Name: 'n', Addr: 'a', Status: 'alive' }]), '[0].Status is "alive", expected an integer'],
    ['self without Config', () => parseAgentSelf({}), 'Config is missing, expected an object'],
    ['a session without ID', () => parseSessions([{ Name: 'x' }]), '[0].ID is missing'],
    ['a txn result with a bad KV value', () => parseTxnResult({ Results: [{ KV: { Key: 'k', Value: '%%' } }] }, true), 'Results[0].KV.Value is "%%"'],
    ['a leader that is not a string', () => parseLeader(5), '/v1/status/leader: (body) is 5'],
  ];
  for (const [what, parse, message] of bad) it(`rejects ${what}`, () => rejects(parse, message));
});
