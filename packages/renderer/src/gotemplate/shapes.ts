// consul-template's data types as Go values: the struct and type names a template (and an error message) sees,
// e.g. `*dependency.HealthService` with .Address .Port .ServiceMeta .Checks.

import type { CatalogNode, CatalogNodeInfo, CatalogNodeService, CatalogSnippet, HealthCheck, HealthService, KeyPair, ServiceAddress } from './data-source';
import { GoMap, GoSlice, GoStruct, stringMap, stringSlice, type GoValue } from './values';

/**
 * Converted values by source object: a data source hands back the same objects until Consul's answer changes, so
 * re-renders reuse them (Go values here are never mutated).
 */
const converted = new WeakMap<object, GoStruct>();

function cached<T extends object>(convert: (v: T) => GoStruct): (v: T) => GoStruct {
  return (v: T) => {
    let value = converted.get(v);
    if (!value) {
      value = convert(v);
      converted.set(v, value);
    }
    return value;
  };
}

const convertedLists = new WeakMap<readonly object[], GoSlice>();

/** A converted list, reused while the data source returns the same array. */
export function sliceOf<T extends object>(items: readonly T[], convert: (v: T) => GoStruct, typeName: string): GoSlice {
  let value = convertedLists.get(items);
  if (!value || value.typeName !== typeName) {
    value = new GoSlice(items.map(convert), typeName);
    convertedLists.set(items, value);
  }
  return value;
}

function struct(typeName: string, fields: [string, GoValue][]): GoStruct {
  return new GoStruct(typeName, new Map(fields));
}

/** consul's api.ServiceAddress is a value type: a missing map key gives its zero value. */
function serviceAddress(a: ServiceAddress): GoStruct {
  return struct('api.ServiceAddress', [['Address', a.Address], ['Port', a.Port]]);
}

const ZERO_SERVICE_ADDRESS = serviceAddress({ Address: '', Port: 0 });

function healthCheck(c: HealthCheck): GoStruct {
  return struct('*api.HealthCheck', [
    ['Node', c.Node], ['CheckID', c.CheckID], ['Name', c.Name], ['Status', c.Status], ['Notes', c.Notes], ['Output', c.Output],
    ['ServiceID', c.ServiceID], ['ServiceName', c.ServiceName], ['ServiceTags', stringSlice(c.ServiceTags)], ['Type', c.Type],
  ]);
}

/** The HealthService each `*dependency.HealthService` value was made from (pushUpstream hands them back). */
const healthServiceSources = new WeakMap<GoStruct, HealthService>();

/** The HealthService a template value stands for, when it is one `service` gave. */
export function healthServiceOf(value: GoValue): HealthService | undefined {
  return value instanceof GoStruct ? healthServiceSources.get(value) : undefined;
}

export const healthServiceValue = cached((s: HealthService): GoStruct => {
  const value = healthServiceStruct(s);
  healthServiceSources.set(value, s);
  return value;
});

function healthServiceStruct(s: HealthService): GoStruct {
  const tagged = new Map(Object.entries(s.ServiceTaggedAddresses).map(([k, v]) => [k, serviceAddress(v)] as [string, GoValue]));
  return struct('*dependency.HealthService', [
    ['Node', s.Node], ['NodeID', s.NodeID], ['NodeAddress', s.NodeAddress], ['NodeTaggedAddresses', stringMap(s.NodeTaggedAddresses)],
    ['NodeMeta', stringMap(s.NodeMeta)], ['ServiceMeta', stringMap(s.ServiceMeta)], ['Address', s.Address],
    ['ServiceTaggedAddresses', new GoMap(tagged, 'map[string]api.ServiceAddress', ZERO_SERVICE_ADDRESS)],
    ['ID', s.ID], ['Name', s.Name], ['Tags', new GoSlice(s.Tags, 'dependency.ServiceTags')],
    ['Checks', new GoSlice(s.Checks.map(healthCheck), 'api.HealthChecks')], ['Status', s.Status], ['Port', s.Port],
    ['Weights', struct('api.AgentWeights', [['Passing', s.Weights.Passing], ['Warning', s.Weights.Warning]])],
  ]);
}

export const catalogSnippetValue = cached((s: CatalogSnippet): GoStruct => {
  return struct('*dependency.CatalogSnippet', [['Name', s.Name], ['Tags', new GoSlice(s.Tags, 'dependency.ServiceTags')]]);
});

export const nodeValue = cached((n: CatalogNodeInfo): GoStruct => {
  return struct('*dependency.Node', [
    ['ID', n.ID], ['Node', n.Node], ['Address', n.Address], ['Datacenter', n.Datacenter],
    ['TaggedAddresses', stringMap(n.TaggedAddresses)], ['Meta', stringMap(n.Meta)],
  ]);
});

function nodeServiceValue(s: CatalogNodeService): GoStruct {
  return struct('*dependency.CatalogNodeService', [
    ['ID', s.ID], ['Service', s.Service], ['Tags', new GoSlice(s.Tags, 'dependency.ServiceTags')], ['Meta', stringMap(s.Meta)],
    ['Port', s.Port], ['Address', s.Address], ['EnableTagOverride', s.EnableTagOverride],
  ]);
}

export const catalogNodeValue = cached((n: CatalogNode): GoStruct => {
  return struct('*dependency.CatalogNode', [
    ['Node', nodeValue(n.Node)],
    ['Services', new GoSlice(n.Services.map(nodeServiceValue), '[]*dependency.CatalogNodeService')],
  ]);
});

export const keyPairValue = cached((p: KeyPair): GoStruct => {
  return struct('*dependency.KeyPair', [
    ['Path', p.Path], ['Key', p.Key], ['Value', p.Value], ['CreateIndex', p.CreateIndex], ['ModifyIndex', p.ModifyIndex],
    ['LockIndex', p.LockIndex], ['Flags', p.Flags], ['Session', p.Session],
  ]);
});

/** A field of a shape value, when the value is one of ours (byTag, byMeta and byKey read them). */
export function fieldOf(v: GoValue, name: string): GoValue {
  return v instanceof GoStruct ? v.fields.get(name) : undefined;
}
