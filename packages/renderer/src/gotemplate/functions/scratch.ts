// consul-template's scratch: a per-render key/value pad (`scratch.Set "k" v`, `scratch.Get "k"`, MapSet/MapValues).

import { str } from '../params';
import { GoCallError, GoFunc, GoMap, GoStruct, interfaceMap, sortedKeys, type GoValue } from '../values';
import { fixed, type FunctionTable } from './render-context';

export function scratchFunctions(table: FunctionTable): void {
  const values = new Map<string, GoValue>();
  const maps = new Map<string, Map<string, GoValue>>();
  const method = (name: string, n: number, fn: (args: GoValue[]) => GoValue) => [name, new GoFunc(name, fn, { min: n, max: n })] as const;
  const mapSet = (overwrite: boolean) => (a: GoValue[]) => {
    const k = str(a, 0);
    if (!values.has(k)) {
      const entries = new Map<string, GoValue>();
      maps.set(k, entries);
      values.set(k, interfaceMap(entries));
    }
    const entries = maps.get(k);
    if (!entries) throw new GoCallError(`${JSON.stringify(k)} is not a map`);
    const mk = str(a, 1);
    if (overwrite || !entries.has(mk)) entries.set(mk, a[2] ?? null);
    return '';
  };
  const pad = new GoStruct('*template.Scratch', new Map(), new Map([
    method('Key', 1, (a) => values.has(str(a, 0))),
    method('Get', 1, (a) => values.get(str(a, 0)) ?? null),
    method('Set', 2, (a) => {
      values.set(str(a, 0), a[1] ?? null);
      maps.delete(str(a, 0));
      return '';
    }),
    method('SetX', 2, (a) => {
      if (!values.has(str(a, 0))) values.set(str(a, 0), a[1] ?? null);
      return '';
    }),
    method('MapSet', 3, mapSet(true)),
    method('MapSetX', 3, mapSet(false)),
    method('MapValues', 1, (a) => {
      const m = values.get(str(a, 0));
      if (!(m instanceof GoMap)) return null;
      return sortedKeys(m).map((k) => m.entries.get(k));
    }),
  ]));
  table.set('scratch', fixed(0, () => pad));
}
