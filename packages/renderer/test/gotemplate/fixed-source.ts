// An in-memory Consul for Go template tests: answers every dependency kind from a fixed data set the way Consul and
// consul-template's dependency layer would (health filters, tags, datacenters, KV prefixes relative to the prefix).

import { goDependencyKey, type CatalogNode, type CatalogNodeInfo, type GoData, type GoDataSource, type GoDependency, type HealthService, type KeyPair } from '../../src/gotemplate';

export interface FixedData {
  /** Instances by datacenter, then service name. */
  services?: Record<string, Record<string, HealthService[]>>;
  /** KV values by datacenter, then full key. */
  kv?: Record<string, Record<string, string>>;
  nodes?: Record<string, CatalogNode[]>;
  /** The agent's own node name (what `node` with no name reads). */
  localNode?: string;
  datacenters?: string[];
  files?: Record<string, string>;
  /** Dependency keys that have not answered yet (the first phases of a render). */
  notYet?: Set<string>;
}

export const LOCAL_DC = 'dc1';

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A HealthService with the defaults Consul gives an instance registered with only the fields named. */
export function instance(fields: Partial<HealthService> & Pick<HealthService, 'Name' | 'Node' | 'Address' | 'Port'>): HealthService {
  return {
    NodeID: '', NodeAddress: fields.Address, NodeTaggedAddresses: {}, NodeMeta: {}, ServiceMeta: {}, ServiceTaggedAddresses: {},
    ID: `${fields.Name}-${fields.Node}`, Tags: [], Checks: [], Status: 'passing', Weights: { Passing: 1, Warning: 1 }, ...fields,
  };
}

export function node(fields: Partial<CatalogNodeInfo> & Pick<CatalogNodeInfo, 'Node' | 'Address'>): CatalogNode {
  return { Node: { ID: '', Datacenter: LOCAL_DC, TaggedAddresses: {}, Meta: {}, ...fields }, Services: [] };
}

function pair(path: string, key: string, value: string): KeyPair {
  return { Path: path, Key: key, Value: value, CreateIndex: 1, ModifyIndex: 1, LockIndex: 0, Flags: 0, Session: '' };
}

export class FixedDataSource implements GoDataSource {
  /** Answers by dependency key: like a watcher, the same data objects come back until the data changes. */
  private readonly answers = new Map<string, GoData>();

  constructor(private readonly data: FixedData) {}

  lookup(dep: GoDependency): GoData | undefined {
    const key = goDependencyKey(dep);
    if (this.data.notYet?.has(key)) return undefined;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.answer(dep);
      this.answers.set(key, answer);
    }
    return answer;
  }

  private answer(dep: GoDependency): GoData {
    switch (dep.kind) {
      case 'health.service': {
        const all = this.data.services?.[dep.dc ?? LOCAL_DC]?.[dep.name] ?? [];
        const data = all
          .filter((s) => !dep.tag || s.Tags.includes(dep.tag))
          .filter((s) => dep.filters.some((f) => f === 'any' || f === s.Status));
        return { kind: dep.kind, data };
      }
      case 'catalog.services': {
        const byName = this.data.services?.[dep.dc ?? LOCAL_DC] ?? {};
        const data = Object.keys(byName).sort(compare).map((Name) => ({ Name, Tags: [...new Set(byName[Name].flatMap((s) => s.Tags))].sort(compare) }));
        return { kind: dep.kind, data };
      }
      case 'catalog.node': {
        const name = dep.name ?? this.data.localNode;
        const found = (this.data.nodes?.[dep.dc ?? LOCAL_DC] ?? []).find((n) => n.Node.Node === name);
        return { kind: dep.kind, data: found ?? null };
      }
      case 'catalog.nodes':
        return { kind: dep.kind, data: (this.data.nodes?.[dep.dc ?? LOCAL_DC] ?? []).map((n) => n.Node) };
      case 'catalog.datacenters':
        return { kind: dep.kind, data: this.data.datacenters ?? [LOCAL_DC] };
      case 'kv.get': {
        const value = this.data.kv?.[dep.dc ?? LOCAL_DC]?.[dep.key];
        return { kind: dep.kind, data: value === undefined ? null : pair(dep.key, dep.key, value) };
      }
      case 'kv.list': {
        const kv = this.data.kv?.[dep.dc ?? LOCAL_DC] ?? {};
        const data = Object.keys(kv)
          .filter((k) => k.startsWith(dep.prefix))
          .sort(compare)
          .map((k) => pair(k, k.slice(dep.prefix.length).replace(/^\/+/, ''), kv[k]));
        return { kind: dep.kind, data };
      }
      case 'file':
        return { kind: dep.kind, data: this.data.files?.[dep.path] ?? null };
    }
  }
}
