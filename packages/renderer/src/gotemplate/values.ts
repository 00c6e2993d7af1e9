// How Go values are represented while a Go template runs: which JS value stands for which Go type, Go's type names
// (for error messages), truthiness and the nil/"no value" distinction text/template makes.

/** A float64 (Go keeps ints and floats apart: `divide 2 5` is 2, `divide 2 5.0` is 2.5). JS numbers are ints. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** A typed map: the element type decides what a missing key gives under missingkey=zero ("" for map[string]string). */
export class GoMap {
  constructor(
    readonly entries: ReadonlyMap<string, GoValue>,
    readonly typeName: string,
    /** The element type's zero value (null for interface{} elements, which then print `<no value>`). */
    readonly zero: GoValue,
  ) {}
}

/** A struct (or pointer to one): ordered fields, plus methods callable from the template (`scratch.Get "k"`). */
export class GoStruct {
  constructor(
    readonly typeName: string,
    readonly fields: ReadonlyMap<string, GoValue>,
    readonly methods: ReadonlyMap<string, GoFunc> = new Map(),
  ) {}
}

/** A typed slice ([]string is what join wants; []interface{} is what parseJSON gives). */
export class GoSlice {
  constructor(
    readonly items: readonly GoValue[],
    readonly typeName: string,
  ) {}
}

/** A receive-only channel, as consul-template's `loop` returns one: range gives its values, one variable only. */
export class GoChan {
  constructor(
    readonly items: readonly GoValue[],
    readonly typeName: string,
  ) {}
}

/** A function value; `call` invokes it, the executor calls methods through it. Throws GoCallError to fail. */
export class GoFunc {
  constructor(
    readonly name: string,
    readonly fn: (args: GoValue[]) => GoValue,
    /** Argument count: exact, or a minimum when variadic. */
    readonly arity: { min: number; max?: number },
  ) {}
}

/**
 * `undefined` is Go's invalid reflect.Value (what prints `<no value>`); `null` is a nil interface or pointer.
 * Plain JS arrays are []interface {}.
 */
export type GoValue =
  | undefined
  | null
  | string
  | number
  | boolean
  | GoFloat
  | GoMap
  | GoStruct
  | GoSlice
  | GoChan
  | GoFunc
  | GoValue[];

/** An error a function or builtin reports; the executor wraps it as Go does (`error calling NAME: MSG`). */
export class GoCallError extends Error {}

export function isInt(v: GoValue): v is number {
  return typeof v === 'number';
}

export function goTypeName(v: GoValue): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoFloat) return 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoFunc) return 'func';
  return v.typeName;
}

/** The items of a slice-like value, or undefined for anything else. */
export function listItems(v: GoValue): readonly GoValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof GoSlice) return v.items;
  return undefined;
}

/** text/template's isTrue: false, 0, nil and empty strings, slices and maps are false; structs always true. */
export function isTrue(v: GoValue): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (v instanceof GoFloat) return v.value !== 0;
  if (v instanceof GoMap) return v.entries.size > 0;
  if (v instanceof GoChan) return true;
  if (v instanceof GoFunc) return true;
  const items = listItems(v);
  if (items) return items.length > 0;
  return true;
}

/** A []string. */
export function stringSlice(items: readonly string[]): GoSlice {
  return new GoSlice(items, '[]string');
}

export function stringMap(record: Readonly<Record<string, string>> | ReadonlyMap<string, string>): GoMap {
  const entries = record instanceof Map ? new Map(record) : new Map(Object.entries(record));
  return new GoMap(entries, 'map[string]string', '');
}

export function interfaceMap(entries: ReadonlyMap<string, GoValue>): GoMap {
  return new GoMap(entries, 'map[string]interface {}', null);
}

/** Map keys in Go's print/range order (fmt and range sort them). */
export function sortedKeys(m: GoMap): string[] {
  return [...m.entries.keys()].sort(compareStrings);
}

/** Byte-wise comparison, as Go compares strings (code units agree with UTF-8 order outside surrogates). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The number inside an int or float, or undefined. */
export function numeric(v: GoValue): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat) return v.value;
  return undefined;
}
