// text/template's predefined functions: comparisons, not, len, index, slice, the print family, html/js/urlquery
// and call (and/or are evaluated lazily by the executor itself).

import type { GoFunction } from './exec';
import { formatValue, sprint, sprintln } from './format';
import { any } from './params';
import { sprintf } from './printf';
import { GoCallError, GoChan, GoFloat, GoFunc, GoMap, GoSlice, goTypeName, isTrue, listItems, type GoValue } from './values';

type Kind = 'bool' | 'int' | 'float' | 'string' | 'invalid' | 'other';

function basicKind(v: GoValue): Kind {
  if (v === undefined || v === null) return 'invalid';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (v instanceof GoFloat) return 'float';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function scalar(v: GoValue): string | number | boolean | undefined {
  if (v instanceof GoFloat) return v.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

function eq(args: GoValue[]): boolean {
  const [a, ...rest] = args.map((v) => (v === undefined ? null : v));
  if (rest.length === 0) throw new GoCallError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (k1 !== 'invalid' && k2 !== 'invalid') throw new GoCallError('incompatible types for comparison');
      continue;
    }
    if (k1 === 'other') {
      if (listItems(a) || a instanceof GoMap || a instanceof GoFunc) throw new GoCallError(`non-comparable type ${formatValue(a)}: ${goTypeName(a)}`);
      if (a === b) return true;
      continue;
    }
    if (k1 === 'invalid' || scalar(a) === scalar(b)) return true;
  }
  return false;
}

function lessThan(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'bool' || k1 === 'other' || k1 === 'invalid' || k2 === 'bool' || k2 === 'other' || k2 === 'invalid') throw new GoCallError('invalid type for comparison');
  if (k1 !== k2) throw new GoCallError('incompatible types for comparison');
  const x = scalar(a);
  const y = scalar(b);
  return x !== undefined && y !== undefined && x < y;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function len(v: GoValue): number {
  if (typeof v === 'string') return byteLength(v);
  const items = listItems(v);
  if (items) return items.length;
  if (v instanceof GoMap) return v.entries.size;
  if (v instanceof GoChan) return 0;
  if (v === undefined || v === null) throw new GoCallError('len of nil pointer');
  throw new GoCallError(`len of type ${goTypeName(v)}`);
}

/** An index below `limit` (the length, or length+1 for slice bounds). */
function indexArg(v: GoValue, limit: number): number {
  if (typeof v !== 'number') throw new GoCallError(`cannot index slice/array with type ${goTypeName(v)}`);
  if (v < 0 || v >= limit) throw new GoCallError(`index out of range: ${v}`);
  return v;
}

function index(args: GoValue[]): GoValue {
  let item = args[0];
  if (item === undefined || item === null) throw new GoCallError('index of untyped nil');
  for (const key of args.slice(1)) {
    if (item === undefined || item === null) throw new GoCallError('index of untyped nil');
    const items = listItems(item);
    if (items) item = items[indexArg(key, items.length)];
    else if (typeof item === 'string') item = Buffer.from(item, 'utf8')[indexArg(key, byteLength(item))];
    else if (item instanceof GoMap) {
      if (typeof key !== 'string') throw new GoCallError(`value has type ${goTypeName(key)}; should be string`);
      item = item.entries.has(key) ? item.entries.get(key) : item.zero;
    } else throw new GoCallError(`can't index item of type ${goTypeName(item)}`);
  }
  return item;
}

function slice(args: GoValue[]): GoValue {
  const item = args[0];
  if (item === undefined || item === null) throw new GoCallError('slice of untyped nil');
  const idx = args.slice(1);
  if (idx.length > 3) throw new GoCallError(`too many slice indexes: ${idx.length}`);
  const length = typeof item === 'string' ? byteLength(item) : listItems(item)?.length;
  if (length === undefined) throw new GoCallError(`can't slice item of type ${goTypeName(item)}`);
  if (typeof item === 'string' && idx.length === 3) throw new GoCallError('cannot 3-index slice a string');
  const bounds = [0, length];
  idx.slice(0, 2).forEach((v, i) => {
    bounds[i] = indexArg(v, length + 1);
  });
  if (bounds[0] > bounds[1]) throw new GoCallError(`invalid slice index: ${bounds[0]} > ${bounds[1]}`);
  if (typeof item === 'string') return Buffer.from(item, 'utf8').subarray(bounds[0], bounds[1]).toString('utf8');
  const items = listItems(item) ?? [];
  const part = items.slice(bounds[0], bounds[1]);
  return item instanceof GoSlice ? new GoSlice(part, item.typeName) : part;
}

/** What html/js/urlquery escape: a lone string as is, else fmt.Sprint with nil shown as `<no value>`. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const named: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' };
    if (named[ch]) out += named[ch];
    else if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (c >= 0x80 && !/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch)) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape: space as +, unreserved kept, the rest %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function call(args: GoValue[]): GoValue {
  const fn = args[0];
  if (fn === undefined || fn === null) throw new GoCallError('call of nil');
  if (!(fn instanceof GoFunc)) throw new GoCallError(`non-function of type ${goTypeName(fn)}`);
  const rest = args.slice(1);
  if (rest.length < fn.arity.min || (fn.arity.max !== undefined && rest.length > fn.arity.max)) {
    throw new GoCallError(`wrong number of args for ${fn.name}: got ${rest.length} want ${fn.arity.min}`);
  }
  return fn.fn(rest);
}

const fixed = (n: number, call: (args: GoValue[]) => GoValue): GoFunction => ({ arity: { min: n, max: n }, call });
const variadic = (min: number, call: (args: GoValue[]) => GoValue): GoFunction => ({ arity: { min }, call });

export const BUILTINS: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  ['eq', variadic(1, eq)],
  ['ne', fixed(2, (a) => !eq(a))],
  ['lt', fixed(2, ([a, b]) => lessThan(a, b))],
  ['le', fixed(2, ([a, b]) => lessThan(a, b) || eq([a, b]))],
  ['gt', fixed(2, ([a, b]) => !lessThan(a, b) && !eq([a, b]))],
  ['ge', fixed(2, ([a, b]) => !lessThan(a, b))],
  ['not', fixed(1, ([a]) => !isTrue(a))],
  ['len', fixed(1, ([a]) => len(a))],
  ['index', variadic(1, index)],
  ['slice', variadic(1, slice)],
  ['print', variadic(0, (a) => sprint(a.map((_, i) => any(a, i))))],
  ['printf', variadic(1, (a) => {
    if (typeof a[0] !== 'string') throw new GoCallError(`wrong type for value; expected string; got ${goTypeName(a[0])}`);
    return sprintf(a[0], a.slice(1).map((_, i) => any(a, i + 1)));
  })],
  ['println', variadic(0, (a) => sprintln(a.map((_, i) => any(a, i))))],
  ['html', variadic(0, (a) => htmlEscape(evalArgs(a)))],
  ['js', variadic(0, (a) => jsEscape(evalArgs(a)))],
  ['urlquery', variadic(0, (a) => queryEscape(evalArgs(a)))],
  ['call', variadic(1, call)],
  // Listed so the parser accepts them; the executor evaluates them lazily.
  ['and', variadic(1, () => undefined)],
  ['or', variadic(1, () => undefined)],
]);

