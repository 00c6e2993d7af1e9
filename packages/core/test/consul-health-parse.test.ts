// The health reader: every field of an entry read into the typed instance, and every bad payload named by its path.

import { expect } from 'chai';
import {
  aggregateStatus,
  CodedError,
  compareInstances,
  ERR_CONSUL_PAYLOAD,
  instanceRole,
  maintenanceOf,
  parseHealthChecks,
  parseHealthService,
  statusMatches,
  worseStatus,
  highestTagValue,
} from '../src';

function entry(overrides: { node?: Record<string, unknown>; service?: Record<string, unknown>; checks?: unknown } = {}): Record<string, unknown> {
  return {
    Node: {
      ID: 'n-1',
      Node: 'node1',
      Address: '10.0.0.1',
      Datacenter: 'dc1',
      TaggedAddresses: { lan: '10.0.0.1', wan: '192.0.2.1' },
      Meta: { zone: 'a', 'consul-network-segment': '' },
      ...overrides.node,
    },
    Service: {
      ID: 'web-1',
      Service: 'web',
      Tags: ['master', 'v2'],
      Address: '10.0.0.5',
      Port: 8080,
      Meta: { version: '2' },
      TaggedAddresses: { lan_ipv4: { Address: '10.0.0.5', Port: 8080 } },
      Weights: { Passing: 10, Warning: 1 },
      EnableTagOverride: true,
      Namespace: 'default',
      ...overrides.service,
    },
    Checks: 'checks' in overrides ? overrides.checks : [
      { Node: 'node1', CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Notes: '', Output: 'Agent alive', ServiceID: '', ServiceName: '', ServiceTags: [], Type: '' },
      { Node: 'node1', CheckID: 'service:web-1', Name: 'http', Status: 'warning', Notes: 'n', Output: 'slow', ServiceID: 'web-1', ServiceName: 'web', ServiceTags: ['master'], Type: 'http' },
    ],
  };
}

function payloadFailure(body: unknown): CodedError {
  try {
    parseHealthService(body);
  } catch (err) {
    expect(err).to.be.instanceOf(CodedError);
    expect((err as CodedError).code).to.equal(ERR_CONSUL_PAYLOAD);
    return err as CodedError;
  }
  throw new Error('expected the payload to be rejected');
}

describe('core/consul: /v1/health/service reader', () => {
  it('reads every field consul-template exposes, plus Status, FailingChecks and Role', () => {
    const [i] = parseHealthService([entry()]);
    expect(i).to.deep.include({
      ID: 'web-1',
      Name: 'web',
      Kind: '',
      Node: 'node1',
      NodeID: 'n-1',
      NodeAddress: '10.0.0.1',
      NodeDatacenter: 'dc1',
      Address: '10.0.0.5',
      ServiceAddress: '10.0.0.5',
      Port: 8080,
      Tags: ['master', 'v2'],
      EnableTagOverride: true,
      Namespace: 'default',
      Status: 'warning',
      FailingChecks: ['service:web-1'],
      Role: 'master',
    });
    expect(i.NodeTaggedAddresses).to.deep.equal({ lan: '10.0.0.1', wan: '192.0.2.1' });
    expect(i.NodeMeta).to.deep.equal({ 'consul-network-segment': '', zone: 'a' });
    expect(i.ServiceMeta).to.deep.equal({ version: '2' });
    expect(i.Meta).to.equal(i.ServiceMeta);
    expect(i.TaggedAddresses).to.deep.equal({ lan_ipv4: { Address: '10.0.0.5', Port: 8080 } });
    expect(i.Weights).to.deep.equal({ Passing: 10, Warning: 1 });
    expect(i.Checks.map((c) => [c.CheckID, c.Status, c.Type, c.ServiceTags])).to.deep.equal([
      ['serfHealth', 'passing', '', []],
      ['service:web-1', 'warning', 'http', ['master']],
    ]);
    expect(i.Maintenance).to.equal(undefined);
  });

  const defaults: Array<[string, Parameters<typeof entry>[0], (i: ReturnType<typeof parseHealthService>[number]) => unknown, unknown]> = [
    ['an empty service address falls back to the node address', { service: { Address: '' } }, (i) => [i.Address, i.ServiceAddress], ['10.0.0.1', '']],
    ['null Tags is no tags', { service: { Tags: null } }, (i) => i.Tags, []],
    ['null Meta is no meta', { service: { Meta: null } }, (i) => i.Meta, {}],
    ['missing Weights are Consul\'s default 1/1', { service: { Weights: undefined } }, (i) => i.Weights, { Passing: 1, Warning: 1 }],
    ['null Checks is passing', { checks: null }, (i) => [i.Status, i.Checks], ['passing', []]],
    ['a critical check makes the instance critical', { checks: [{ CheckID: 'a', Status: 'passing' }, { CheckID: 'b', Status: 'critical' }, { CheckID: 'c', Status: 'warning' }] }, (i) => i.Status, 'critical'],
    ['a maintenance status counts as critical', { checks: [{ CheckID: 'x', Status: 'maintenance' }] }, (i) => i.Status, 'critical'],
    ['_service_maintenance:<id> is service maintenance', { checks: [{ CheckID: '_service_maintenance:web-1', Status: 'critical' }] }, (i) => [i.Maintenance, i.Status], ['service', 'critical']],
    ['_node_maintenance wins over service maintenance', { checks: [{ CheckID: '_service_maintenance:web-1', Status: 'critical' }, { CheckID: '_node_maintenance', Status: 'critical' }] }, (i) => i.Maintenance, 'node'],
    ['Meta.role outranks a role tag', { service: { Meta: { role: 'replica' } } }, (i) => i.Role, 'replica'],
    ['a role=<r> tag outranks a plain role tag', { service: { Tags: ['slave', 'role=leader'] } }, (i) => i.Role, 'leader'],
    ['no role tag is no role', { service: { Tags: ['v2'] } }, (i) => i.Role, undefined],
    ['a missing Namespace stays absent (OSS Consul)', { service: { Namespace: undefined } }, (i) => 'Namespace' in i, false],
  ];
  for (const [what, overrides, pick, expected] of defaults) {
    it(what, () => expect(pick(parseHealthService([entry(overrides)])[0])).to.deep.equal(expected));
  }

  it('takes the configured role tags', () => {
    expect(parseHealthService([entry({ service: { Tags: ['leader'] } })], { roleTags: ['leader'] })[0].Role).to.equal('leader');
  });

  const bad: Array<[string, unknown, string]> = [
    ['a body that is not a list', { not: 'a list' }, '(body) is {"not":"a list"}'],
    ['an entry that is not an object', ['x'], '[0] is "x", expected an object'],
    ['a missing Node', [{ ...entry(), Node: undefined }], '[0].Node is missing'],
    ['a missing Service', [{ ...entry(), Service: null }], '[0].Service is null'],
    ['a numeric service ID', [entry({ service: { ID: 7 } })], '[0].Service.ID is 7, expected a string'],
    ['a missing service name', [entry({ service: { Service: undefined } })], '[0].Service.Service is missing'],
    ['a string port', [entry({ service: { Port: '80' } })], '[0].Service.Port is "80", expected an integer'],
    ['a fractional port', [entry({ service: { Port: 80.5 } })], '[0].Service.Port is 80.5'],
    ['a non-string tag', [entry({ service: { Tags: ['ok', 5] } })], '[0].Service.Tags[1] is 5, expected a string'],
    ['Tags that are not a list', [entry({ service: { Tags: 'master' } })], '[0].Service.Tags is "master", expected a list'],
    ['a non-string meta value', [entry({ service: { Meta: { n: 1 } } })], '[0].Service.Meta.n is 1, expected a string'],
    ['a non-string node meta value', [entry({ node: { Meta: { z: true } } })], '[0].Node.Meta.z is true'],
    ['a node without address', [entry({ node: { Address: undefined } })], '[0].Node.Address is missing'],
    ['a node tagged address that is not a string', [entry({ node: { TaggedAddresses: { lan: 1 } } })], '[0].Node.TaggedAddresses.lan is 1'],
    ['a service tagged address without port', [entry({ service: { TaggedAddresses: { lan: { Address: 'x' } } } })], '[0].Service.TaggedAddresses.lan.Port is missing'],
    ['a string weight', [entry({ service: { Weights: { Passing: '10', Warning: 1 } } })], '[0].Service.Weights.Passing is "10"'],
    ['EnableTagOverride that is not a boolean', [entry({ service: { EnableTagOverride: 'yes' } })], '[0].Service.EnableTagOverride is "yes", expected a boolean'],
    ['Checks that are not a list', [entry({ checks: {} })], '[0].Checks is {}, expected a list'],
    ['a check without CheckID', [entry({ checks: [{ Status: 'passing' }] })], '[0].Checks[0].CheckID is missing'],
    ['an unknown check status', [entry({ checks: [{ CheckID: 'a', Status: 'ok' }] })], '[0].Checks[0].Status is "ok", expected passing, warning, critical or maintenance'],
    ['ServiceTags that are not strings', [entry({ checks: [{ CheckID: 'a', Status: 'passing', ServiceTags: [1] }] })], '[0].Checks[0].ServiceTags[0] is 1'],
    ['a second entry that is bad', [entry(), entry({ service: { Port: null } })], '[1].Service.Port is null'],
  ];
  for (const [what, body, message] of bad) {
    it(`rejects ${what}, naming the field`, () => {
      const err = payloadFailure(body);
      expect(err.message).to.include(message);
      expect(err.details.field).to.be.a('string');
    });
  }

  it('orders instances by node, address, port, id', () => {
    const a = parseHealthService([entry({ service: { ID: 'b', Port: 2 } }), entry({ service: { ID: 'a', Port: 2 } }), entry({ service: { ID: 'c', Port: 1 } })]);
    expect([...a].sort(compareInstances).map((i) => i.ID)).to.deep.equal(['c', 'a', 'b']);
  });
});

describe('core/consul: health checks, status ranking, maintenance, roles', () => {
  it('reads /v1/health/state and /v1/health/node lists', () => {
    const checks = parseHealthChecks([{ Node: 'n', CheckID: 'serfHealth', Name: 'Serf', Status: 'passing', ServiceID: '', Namespace: 'default' }]);
    expect(checks[0]).to.deep.include({ Node: 'n', CheckID: 'serfHealth', Status: 'passing', ServiceID: '', Output: '', Namespace: 'default' });
    expect(parseHealthChecks(null)).to.deep.equal([]);
    expect(() => parseHealthChecks([{ CheckID: 'a', Status: 'passing', Output: 3 }])).to.throw('[0].Output is 3');
  });

  const ranks: Array<[Array<'passing' | 'warning' | 'critical'>, string]> = [
    [[], 'passing'],
    [['passing', 'passing'], 'passing'],
    [['passing', 'warning'], 'warning'],
    [['warning', 'critical', 'passing'], 'critical'],
  ];
  for (const [statuses, worst] of ranks) {
    it(`aggregates [${statuses.join(', ')}] to ${worst}`, () => expect(aggregateStatus(statuses)).to.equal(worst));
  }

  it('ranks passing < warning < critical and filters as consul-template does', () => {
    expect(worseStatus('warning', 'passing')).to.equal('warning');
    expect(worseStatus('warning', 'critical')).to.equal('critical');
    expect([statusMatches('warning', 'passing'), statusMatches('warning', 'warning'), statusMatches('critical', 'warning'), statusMatches('critical', 'any')]).to.deep.equal([false, true, false, true]);
  });

  it('tells node from service maintenance', () => {
    expect(maintenanceOf(['serfHealth'])).to.equal(undefined);
    expect(maintenanceOf(['_service_maintenance:web-1'])).to.equal('service');
    expect(maintenanceOf(['_service_maintenance:web-1', '_node_maintenance'])).to.equal('node');
  });

  it('follows the role convention and maps role tags to numbers (f5-sync priority groups)', () => {
    expect(instanceRole({ role: 'master' }, ['slave'])).to.equal('master');
    expect(instanceRole({}, ['v1', 'slave'])).to.equal('slave');
    expect(instanceRole({}, ['v1'], ['v1'])).to.equal('v1');
    expect(highestTagValue(['slave', 'master'], { master: 10, slave: 5 }, 0)).to.equal(10);
    expect(highestTagValue(['toString'], { master: 10 }, 1)).to.equal(1);
  });
});
