// Argument conversion for template functions, as Go's reflect-based call does it: the Go type a parameter wants,
// and Go's message when the value has another ("wrong type for value; expected string; got int").

import { ArgTypeError } from './errors';
import { GoCallError, GoFloat, GoSlice, goTypeName, listItems, type GoValue } from './values';

function invalid(index: number, expected: string): never {
  throw new GoCallError(`invalid value; expected ${expected}`);
}

export function str(args: readonly GoValue[], index: number): string {
  const v = args[index];
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return invalid(index, 'string');
  throw new ArgTypeError(index, 'string', goTypeName(v));
}

export function int(args: readonly GoValue[], index: number): number {
  const v = args[index];
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return invalid(index, 'int');
  throw new ArgTypeError(index, 'int', goTypeName(v));
}

export function bool(args: readonly GoValue[], index: number): boolean {
  const v = args[index];
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return invalid(index, 'bool');
  throw new ArgTypeError(index, 'bool', goTypeName(v));
}

/** A []string parameter: a []string, or a []interface{} holding only strings. */
export function strings(args: readonly GoValue[], index: number): string[] {
  const v = args[index];
  const items = listItems(v);
  if (items && items.every((s): s is string => typeof s === 'string')) return [...items];
  if (v === undefined || v === null) return [];
  throw new ArgTypeError(index, '[]string', goTypeName(v));
}

/** A []interface{} parameter. */
export function anyList(args: readonly GoValue[], index: number): readonly GoValue[] {
  const v = args[index];
  const items = listItems(v);
  if (items) return items;
  if (v === undefined || v === null) return [];
  throw new ArgTypeError(index, '[]interface {}', goTypeName(v));
}

/** An interface{} parameter: no value becomes nil. */
export function any(args: readonly GoValue[], index: number): GoValue {
  const v = args[index];
  return v === undefined ? null : v;
}

export function floatOf(n: number): GoFloat {
  return new GoFloat(n);
}

export function slice(items: readonly string[]): GoSlice {
  return new GoSlice(items, '[]string');
}
