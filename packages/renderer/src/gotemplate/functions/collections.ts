// consul-template's list and map helpers: contains/in and the contains* family, byKey, byTag, byMeta, explode,
// explodeMap and loop.

import { ArgTypeError } from '../errors';
import { str } from '../params';
import { fieldOf } from '../shapes';
import { GoCallError, GoChan, GoFloat, GoMap, GoSlice, GoStruct, goTypeName, interfaceMap, listItems, sortedKeys, type GoValue } from '../values';
import { fixed, variadic, type FunctionTable } from './render-context';

/** consul-template's `in`: an element of the same basic kind in a list, or a substring of a string. */
export function inList(l: GoValue, v: GoValue): boolean {
  const items = listItems(l);
  if (items) {
    return items.some((item) => {
      if (typeof item === 'number') return typeof v === 'number' && v === item;
      if (item instanceof GoFloat) return v instanceof GoFloat && v.value === item.value;
      if (typeof item === 'string') return typeof v === 'string' && v === item;
      return false;
    });
  }
  if (typeof l === 'string') return typeof v === 'string' && l.includes(v);
  return false;
}

function list(args: GoValue[], index: number): readonly GoValue[] {
  const v = args[index];
  if (v === undefined || v === null) return [];
  const items = listItems(v);
  if (!items) throw new ArgTypeError(index, '[]interface {}', goTypeName(v));
  return items;
}

/** containsAll/Any/None/NotAll(needles, haystack): `retTrue` is the answer when no needle decides. */
function containsSome(retTrue: boolean, invert: boolean) {
  return fixed(2, (args) => {
    for (const needle of list(args, 0)) if (inList(args[1], needle) !== invert) return !retTrue;
    return retTrue;
  });
}

function pairs(args: GoValue[], index: number): GoStruct[] {
  const items = list(args, index);
  return items.map((p) => {
    if (!(p instanceof GoStruct) || p.typeName !== '*dependency.KeyPair') throw new ArgTypeError(index, '[]*dependency.KeyPair', goTypeName(args[index]));
    return p;
  });
}

function withKey(pair: GoStruct, key: string): GoStruct {
  const fields = new Map(pair.fields);
  fields.set('Key', key);
  return new GoStruct(pair.typeName, fields);
}

function byKey(args: GoValue[]): GoMap {
  const groups = new Map<string, Map<string, GoValue>>();
  for (const pair of pairs(args, 0)) {
    const parts = String(fieldOf(pair, 'Key')).split('/');
    const key = parts.slice(1).join('/');
    if (key === '') continue;
    const group = groups.get(parts[0]) ?? new Map<string, GoValue>();
    group.set(key, withKey(pair, key));
    groups.set(parts[0], group);
  }
  const out = new Map<string, GoValue>();
  for (const [top, group] of groups) out.set(top, new GoMap(group, 'map[string]*dependency.KeyPair', null));
  return new GoMap(out, 'map[string]map[string]*dependency.KeyPair', new GoMap(new Map(), 'map[string]*dependency.KeyPair', null));
}

function byTag(args: GoValue[]): GoMap {
  const v = args[0];
  const groups = new Map<string, GoValue[]>();
  if (v !== undefined && v !== null) {
    const items = listItems(v);
    if (!items || !(v instanceof GoSlice) || !/HealthService|CatalogSnippet|CatalogService/.test(v.typeName)) throw new GoCallError(`byTag: wrong argument type ${goTypeName(v)}`);
    for (const s of items) for (const tag of listItems(fieldOf(s, 'Tags')) ?? []) groups.set(String(tag), [...(groups.get(String(tag)) ?? []), s]);
  }
  return new GoMap(new Map([...groups].map(([k, items]) => [k, items] as [string, GoValue])), 'map[string][]interface {}', null);
}

function byMeta(args: GoValue[]): GoMap {
  const metas = str(args, 0).split(',');
  const groups = new Map<string, GoValue[]>();
  const normalize = (x: string) => x.replace(/[^a-zA-Z0-9_-]/g, '_');
  for (const s of list(args, 1)) {
    const meta = fieldOf(s, 'ServiceMeta');
    const get = (key: string): string => {
      const real = key.replace(/\|int$/, '');
      const value = meta instanceof GoMap ? meta.entries.get(real) : undefined;
      if (typeof value === 'string' && value !== '') return value;
      return key.endsWith('|int') ? '0' : `_no_${real}_`;
    };
    const parts = metas.map((m) => {
      let value = get(m);
      if (m.endsWith('|int')) {
        if (!/^[+-]?\d+$/.test(value)) throw new GoCallError(`cannot parse ${value} as number : strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`);
        const n = parseInt(value, 10);
        value = n < 0 ? `-${String(-n).padStart(4, '0')}` : String(n).padStart(5, '0');
      }
      return normalize(value);
    });
    const key = parts.join('_');
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const entries = new Map([...groups].map(([k, items]) => [k, new GoSlice(items, '[]*dependency.HealthService')] as [string, GoValue]));
  return new GoMap(entries, 'map[string][]*dependency.HealthService', null);
}

function explodeInto(m: Map<string, GoValue>, key: string, value: GoValue, path: string): void {
  const at = key.indexOf('/');
  if (at >= 0) {
    const top = key.slice(0, at);
    if (!m.has(top)) m.set(top, interfaceMap(new Map()));
    const nest = m.get(top);
    if (!(nest instanceof GoMap)) throw new GoCallError(`not a map: ${JSON.stringify(path)}: ${JSON.stringify(top)} already has value ${JSON.stringify(String(nest))}`);
    explodeInto(mutable(nest), key.slice(at + 1), value, key);
    return;
  }
  if (key !== '') m.set(key, value);
}

/** explode builds its maps itself, so it may fill them in place. */
function mutable(m: GoMap): Map<string, GoValue> {
  if (m.entries instanceof Map) return m.entries;
  throw new GoCallError('explode: internal error: read-only map');
}

function explode(label: string, entries: [string, GoValue][]): GoMap {
  const out = new Map<string, GoValue>();
  try {
    for (const [k, v] of entries) explodeInto(out, k, v, k);
  } catch (err) {
    if (err instanceof GoCallError) throw new GoCallError(`${label}: ${err.message}`);
    throw err;
  }
  return interfaceMap(out);
}

function loopBound(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === '') return 0;
    if (!/^[+-]?\d+$/.test(v)) throw new GoCallError(`parseInt: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
    return parseInt(v, 10);
  }
  throw new GoCallError(`loop: bad argument type: ${goTypeName(v)}`);
}

export function collectionFunctions(table: FunctionTable): void {
  table.set('in', fixed(2, ([l, v]) => inList(l, v)));
  table.set('contains', fixed(2, ([v, l]) => inList(l, v)));
  table.set('containsAll', containsSome(true, true));
  table.set('containsAny', containsSome(false, false));
  table.set('containsNone', containsSome(true, false));
  table.set('containsNotAll', containsSome(false, true));
  table.set('byKey', fixed(1, byKey));
  table.set('byTag', fixed(1, byTag));
  table.set('byMeta', fixed(2, byMeta));
  table.set('explode', fixed(1, (a) => explode('explode', pairs(a, 0).map((p) => [String(fieldOf(p, 'Key')), fieldOf(p, 'Value')]))));
  table.set('explodeMap', fixed(1, (a) => {
    const m = a[0];
    if (!(m instanceof GoMap)) throw new ArgTypeError(0, 'map[string]interface {}', goTypeName(m));
    return explode('explodeMap', sortedKeys(m).map((k) => [k, m.entries.get(k)]));
  }));
  table.set('loop', variadic(0, (a) => {
    if (a.length < 1 || a.length > 2) throw new GoCallError(`loop: wrong number of arguments, expected 1 or 2, but got ${a.length}`);
    const [start, stop] = a.length === 1 ? [0, loopBound(a[0])] : [loopBound(a[0]), loopBound(a[1])];
    const items: number[] = [];
    for (let i = start; i < stop; i++) items.push(i);
    return new GoChan(items, '<-chan int64');
  }));
}
