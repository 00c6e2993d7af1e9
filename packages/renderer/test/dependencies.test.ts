import { expect } from 'chai';
import type { KvEntry } from '@consul-sidecars/core';
import {
  aggregateStatus,
  dependencyKey,
  healthServiceDependency,
  normaliseCatalogServices,
  normaliseHealthService,
  normaliseKvKey,
  normaliseKvPrefix,
  topLevelPairs,
  type Dependency,
} from '../src/dependencies';

function entry(id: string, opts: { node?: string; address?: string; port?: number; tags?: string[]; meta?: Record<string, string>; checks?: string[]; nodeAddress?: string } = {}) {
  return {
    Node: { Node: opts.node ?? 'n1', Address: opts.nodeAddress ?? '10.0.0.1', Meta: {} },
    Service: { ID: id, Service: 'web', Tags: opts.tags ?? [], Address: opts.address ?? '', Port: opts.port ?? 80, Meta: opts.meta ?? {}, Weights: { Passing: 1, Warning: 1 } },
    Checks: (opts.checks ?? ['passing']).map((Status, i) => ({ CheckID: `c${i}`, Name: `c${i}`, Status, ServiceID: id, Output: '' })),
  };
}

describe('renderer dependencies', () => {
  describe('dependencyKey: identical queries share one key, different ones do not', () => {
    const cases: [string, Dependency, Dependency, boolean][] = [
      ['same service, default status', healthServiceDependency('web'), { kind: 'health.service', service: 'web', status: 'passing' }, true],
      ['empty tag is no tag', healthServiceDependency('web', { tag: '' }), healthServiceDependency('web'), true],
      ['different tag', healthServiceDependency('web', { tag: 'a' }), healthServiceDependency('web', { tag: 'b' }), false],
      ['different status', healthServiceDependency('web', { status: 'any' }), healthServiceDependency('web'), false],
      ['dotted names stay names (consul-template #295)', healthServiceDependency('shop.example.com'), healthServiceDependency('shop.example.com'), true],
      ['kv key with and without leading slash', { kind: 'kv.key', key: '/a/b' }, { kind: 'kv.key', key: 'a/b' }, true],
      ['kv prefix with and without trailing slash', { kind: 'kv.prefix', prefix: 'cfg' }, { kind: 'kv.prefix', prefix: 'cfg/' }, true],
      ['key vs prefix', { kind: 'kv.key', key: 'cfg' }, { kind: 'kv.prefix', prefix: 'cfg' }, false],
      ['different datacenters are two watches', healthServiceDependency('web', { dc: 'dc1' }), healthServiceDependency('web', { dc: 'dc2' }), false],
      ['a datacenter is not the local one', healthServiceDependency('web', { dc: 'dc1' }), healthServiceDependency('web'), false],
      ['empty datacenter is the local one', healthServiceDependency('web', { dc: '' }), healthServiceDependency('web'), true],
      ['catalog services', { kind: 'catalog.services' }, { kind: 'catalog.services' }, true],
    ];
    for (const [name, a, b, same] of cases) {
      it(name, () => expect(dependencyKey(a) === dependencyKey(b)).to.equal(same));
    }
    it('reads well in logs', () => {
      expect(dependencyKey(healthServiceDependency('web', { tag: 'blue', status: 'warning' }))).to.equal('health.service(web|tag=blue|warning)');
      expect(dependencyKey(healthServiceDependency('web', { dc: 'dc2' }))).to.equal('health.service(web@dc2|passing)');
    });
  });

  describe('aggregateStatus', () => {
    const cases: [string[], string][] = [[[], 'passing'], [['passing', 'passing'], 'passing'], [['passing', 'warning'], 'warning'], [['warning', 'critical'], 'critical'], [['maintenance'], 'critical']];
    for (const [input, want] of cases) it(`${JSON.stringify(input)} -> ${want}`, () => expect(aggregateStatus(input)).to.equal(want));
  });

  describe('normaliseHealthService', () => {
    const raw = [
      entry('web-3', { node: 'n2', port: 82, checks: ['passing', 'warning'] }),
      entry('web-1', { port: 81, address: '127.0.0.1', tags: ['blue', 'role=slave'] }),
      entry('web-2', { port: 80, checks: ['critical'] }),
      entry('web-4', { address: 'bad host;', port: 83 }),
      entry('web-5', { port: 84, tags: ['ok', 'evil;tag', 'spa ce'], meta: { role: 'master' } }),
    ];
    const ids = (status: 'passing' | 'warning' | 'any') => normaliseHealthService(raw, { kind: 'health.service', service: 'web', status }).map((i) => i.ID);

    it('filters by status: passing, warning (passing or warning), any', () => {
      expect(ids('passing')).to.deep.equal(['web-5', 'web-1']);
      expect(ids('warning')).to.deep.equal(['web-5', 'web-1', 'web-3']);
      expect(ids('any')).to.deep.equal(['web-2', 'web-5', 'web-1', 'web-3']);
    });
    it('sorts by node, address, port; uses the node address when the service has none', () => {
      const all = normaliseHealthService(raw, { kind: 'health.service', service: 'web', status: 'any' });
      expect(all.map((i) => `${i.Node} ${i.Address}:${i.Port}`)).to.deep.equal(['n1 10.0.0.1:80', 'n1 10.0.0.1:84', 'n1 127.0.0.1:81', 'n2 10.0.0.1:82']);
    });
    it('drops instances with unusable addresses and tags that would break nginx, and says so', () => {
      const rejected: string[] = [];
      const all = normaliseHealthService(raw, { kind: 'health.service', service: 'web', status: 'any' }, (what, value) => rejected.push(`${what}:${String(value)}`));
      expect(all.find((i) => i.ID === 'web-5')?.Tags).to.deep.equal(['ok']);
      expect(rejected).to.have.members(['address:bad host;:83', 'tag:evil;tag', 'tag:spa ce']);
    });
    it('derives the role from meta, else a role= tag', () => {
      const all = normaliseHealthService(raw, { kind: 'health.service', service: 'web', status: 'any' });
      expect(all.find((i) => i.ID === 'web-1')?.Role).to.equal('slave');
      expect(all.find((i) => i.ID === 'web-5')?.Role).to.equal('master');
      expect(all.find((i) => i.ID === 'web-3')?.Role).to.equal(undefined);
    });
    it('reads a plain role tag as registrator and f5-sync write it (master, slave)', () => {
      const plain = [{ Node: { Node: 'n1', Address: '10.0.0.1' }, Service: { ID: 'r1', Service: 'redis', Address: '10.0.0.9', Port: 6379, Tags: ['cache', 'slave'], Meta: {} }, Checks: [] }];
      const [instance] = normaliseHealthService(plain, { kind: 'health.service', service: 'redis', status: 'any' });
      expect(instance.Role).to.equal('slave');
    });
  });

  it('normaliseCatalogServices sorts, dedupes tags and drops names nginx cannot hold', () => {
    const rejected: unknown[] = [];
    const out = normaliseCatalogServices({ web: ['b', 'a', 'a'], 'api.example.com': [], 'bad name': [], 'x;y': [], consul: [] }, (_w, v) => rejected.push(v));
    expect(out).to.deep.equal([{ Name: 'api.example.com', Tags: [] }, { Name: 'consul', Tags: [] }, { Name: 'web', Tags: ['a', 'b'] }]);
    expect(rejected).to.have.members(['bad name', 'x;y']);
  });

  it('normalises KV answers: missing key, prefix listing relative and sorted, ls top level only', () => {
    // core's parseKvEntries reads the JSON (404 -> [], base64 decoded); these are its entries.
    const kv = (Key: string, Value: string | null): KvEntry => ({ Key, Value, Flags: 0, LockIndex: 0, CreateIndex: 1, ModifyIndex: 1 });
    expect(normaliseKvKey([])).to.equal(null);
    // Path, the indexes and the session are kept for Go templates' KeyPair.
    const rest = { Path: 'a', CreateIndex: 1, ModifyIndex: 1, LockIndex: 0, Session: '' };
    expect(normaliseKvKey([kv('a', 'v')])).to.deep.equal({ Key: 'a', Value: 'v', Flags: 0, ...rest });
    expect(normaliseKvKey([kv('a', null)])).to.deep.equal({ Key: 'a', Value: '', Flags: 0, ...rest });
    const pairs = normaliseKvPrefix([kv('cfg/', null), kv('cfg/z', '1'), kv('cfg/a/b', '2'), kv('cfgx', '3')], '/cfg');
    expect(pairs.map((p) => p.Key)).to.deep.equal(['a/b', 'z']);
    expect(topLevelPairs(pairs).map((p) => p.Key)).to.deep.equal(['z']);
  });
});
