// /v1/catalog/node/<node>'s answer written from kept per-service JSON: the same bytes as serialising the whole.

import { expect } from 'chai';
import { NodeState, ServiceRecord } from '../src/catalog';
import { GoJsonText, goJson, goJsonOf } from '../src/go-json';
import { nodeWithServices } from '../src/node-services-json';

function service(id: string, extra: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    id, name: id.replace(/-\d+$/, ''), kind: '', tags: ['a<b', 'c&d>e', '\u2028'], address: '10.0.0.1', port: 80,
    meta: { 'k"q': 'v\\w', emoji: '\u{1F600}' }, taggedAddresses: {}, enableTagOverride: false,
    weights: { Passing: 1, Warning: 1 }, agentLocal: false, createIndex: 5, modifyIndex: 7, ...extra,
  };
}

function nodeState(services: ServiceRecord[]): NodeState {
  return {
    node: { id: 'n-1', node: 'web-1', address: '10.0.0.1', datacenter: 'dc1', taggedAddresses: { lan: '10.0.0.1' }, meta: { a: '<b>' }, createIndex: 1, modifyIndex: 2 },
    services: new Map(services.map((s) => [s.id, s])),
    checks: new Map(),
    local: false,
  };
}

describe('consul-standin node services JSON', () => {
  const cases: { label: string; services: ServiceRecord[]; written: boolean }[] = [
    { label: 'no services', services: [], written: true },
    { label: 'services with escapes, quotes and non-BMP text', services: [service('web-1'), service('api-2', { taggedAddresses: { lan: { Address: '<x>', Port: 1 } } })], written: true },
    { label: 'a numeric ID (an object puts it first)', services: [service('web-1'), service('42')], written: false },
    { label: 'an ID of __proto__', services: [service('__proto__')], written: false },
  ];
  for (const c of cases) {
    it(`writes the bytes goJson writes for the whole: ${c.label}`, () => {
      const built = nodeWithServices(nodeState(c.services));
      expect(built instanceof GoJsonText).to.equal(c.written);
      const value = built instanceof GoJsonText ? built.value() : built;
      expect(goJsonOf(built, false)).to.equal(goJson(value, false));
      expect(goJsonOf(built, true)).to.equal(goJson(value, true));
    });
  }

  it('writes a replaced record afresh and keeps the others', () => {
    const kept = service('web-1');
    const first = nodeWithServices(nodeState([kept, service('api-1')])) as GoJsonText;
    const second = nodeWithServices(nodeState([kept, service('api-1', { port: 81, modifyIndex: 9 })])) as GoJsonText;
    expect(second.text).to.not.equal(first.text);
    expect(second.text).to.equal(goJson(second.value(), false));
    expect(JSON.parse(second.text).Services['api-1'].Port).to.equal(81);
  });
});
