// toJSON/toJSONPretty (Go's encoding/json output: sorted map keys, struct fields in order, <>& escaped) and the
// parse* family (strconv's accepted syntax and error text).

import { formatFloatE, formatFloatF } from '../float-format';
import { str } from '../params';
import { GoCallError, GoChan, GoFloat, GoFunc, GoMap, GoStruct, goTypeName, interfaceMap, listItems, sortedKeys, type GoValue } from '../values';
import { fixed, type FunctionTable } from './render-context';

function jsonString(s: string, escapeHTML = true): string {
  const out = JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return escapeHTML ? out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : out;
}

/** encoding/json's float64: %f unless the exponent is < -6 or >= 21, then %e without a leading exponent zero. */
function jsonFloat(x: number, label: string): string {
  if (!Number.isFinite(x)) throw new GoCallError(`${label}: json: unsupported value: ${Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf'}`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return formatFloatE(x, -1).replace(/e([+-])0(\d)$/, 'e$1$2');
  return formatFloatF(x, -1);
}

/** encoding/json's output; `escapeHTML` false is an Encoder with SetEscapeHTML(false) (toUnescapedJSON). */
export function toJSONText(v: GoValue, indent: string, label: string, depth = 0, escapeHTML = true): string {
  const nl = indent ? `\n${indent.repeat(depth + 1)}` : '';
  const close = indent ? `\n${indent.repeat(depth)}` : '';
  const colon = indent ? ': ' : ':';
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return jsonString(v, escapeHTML);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof GoFloat) return jsonFloat(v.value, label);
  if (v instanceof GoChan || v instanceof GoFunc) throw new GoCallError(`${label}: json: unsupported type: ${goTypeName(v)}`);
  const items = listItems(v);
  if (items) {
    if (items.length === 0) return '[]';
    return `[${items.map((item) => nl + toJSONText(item, indent, label, depth + 1, escapeHTML)).join(',')}${close}]`;
  }
  const entries: [string, GoValue][] = v instanceof GoMap ? sortedKeys(v).map((k) => [k, v.entries.get(k)]) : v instanceof GoStruct ? [...v.fields] : [];
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, item]) => `${nl}${jsonString(k, escapeHTML)}${colon}${toJSONText(item, indent, label, depth + 1, escapeHTML)}`).join(',')}${close}}`;
}

/** JSON values the way encoding/json decodes into interface{}: objects are maps, numbers float64. */
function fromJSON(v: unknown): GoValue {
  if (v === null) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return new GoFloat(v);
  if (Array.isArray(v)) return v.map(fromJSON);
  if (typeof v === 'object') return interfaceMap(new Map(Object.entries(v).map(([k, item]) => [k, fromJSON(item)])));
  return null;
}

function syntax(fn: string, s: string): GoCallError {
  return new GoCallError(`${fn.replace('strconv.', '').replace(/^Parse/, 'parse')}: ${fn}: parsing ${JSON.stringify(s)}: invalid syntax`);
}

const BOOLS: Record<string, boolean> = { 1: true, t: true, T: true, TRUE: true, true: true, True: true, 0: false, f: false, F: false, FALSE: false, false: false, False: false };

function parseGoInt(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new GoCallError(`parseInt: strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw new GoCallError(`parseInt: strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return Number(n);
}

function parseGoFloat(s: string): number {
  const t = s.replace(/^\+/, '');
  if (/^-?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new GoCallError(`parseFloat: strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(t);
}

export function convertFunctions(table: FunctionTable): void {
  table.set('toJSON', fixed(1, ([v]) => toJSONText(v, '', 'toJSON')));
  table.set('toJSONPretty', fixed(1, ([v]) => toJSONText(v, '  ', 'toJSONPretty')));
  table.set('toUnescapedJSON', fixed(1, ([v]) => toJSONText(v, '', 'toUnescapedJSON', 0, false)));
  table.set('toUnescapedJSONPretty', fixed(1, ([v]) => toJSONText(v, '  ', 'toUnescapedJSONPretty', 0, false)));
  table.set('parseUint', fixed(1, (a) => {
    const s = str(a, 0);
    if (s === '') return 0;
    if (!/^\d+$/.test(s)) throw new GoCallError(`parseUint: strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
    return Number(s);
  }));
  table.set('parseJSON', fixed(1, (a) => {
    const s = str(a, 0);
    if (s === '') return interfaceMap(new Map());
    try {
      return fromJSON(JSON.parse(s));
    } catch {
      throw new GoCallError(`invalid character in JSON input ${JSON.stringify(s.length > 20 ? `${s.slice(0, 20)}...` : s)}`);
    }
  }));
  table.set('parseBool', fixed(1, (a) => {
    const s = str(a, 0);
    if (s === '') return false;
    if (!(s in BOOLS)) throw syntax('strconv.ParseBool', s);
    return BOOLS[s];
  }));
  table.set('parseInt', fixed(1, (a) => (str(a, 0) === '' ? 0 : parseGoInt(str(a, 0)))));
  table.set('parseFloat', fixed(1, (a) => new GoFloat(str(a, 0) === '' ? 0 : parseGoFloat(str(a, 0)))));
}
