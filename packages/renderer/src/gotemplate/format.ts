// Go's fmt %v text for template values: what `{{ . }}` and print write (`[a b]`, `map[k:v]`, `1e+06`, `<nil>`).

import { formatFloatG } from './float-format';
import { GoChan, GoFloat, GoFunc, GoMap, GoSlice, GoStruct, sortedKeys, type GoValue } from './values';

/**
 * fmt's %v of one value. A pointer to a struct prints as `&{...}` at the top and as an address inside another value
 * (Go's addresses differ from run to run; ours is a fixed stand-in).
 */
export function formatValue(v: GoValue, depth = 0): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoFloat) return formatFloatG(v.value, -1);
  const inner = (item: GoValue) => formatValue(item, depth + 1);
  if (Array.isArray(v)) return `[${v.map(inner).join(' ')}]`;
  if (v instanceof GoSlice) return `[${v.items.map(inner).join(' ')}]`;
  if (v instanceof GoMap) return `map[${sortedKeys(v).map((k) => `${k}:${inner(v.entries.get(k))}`).join(' ')}]`;
  if (v instanceof GoStruct) {
    if (!v.typeName.startsWith('*')) return structBody(v, depth);
    return depth === 0 ? `&${structBody(v, depth)}` : ADDRESS;
  }
  if (v instanceof GoChan || v instanceof GoFunc) return ADDRESS;
  return String(v);
}

const ADDRESS = '0xc000010000';

function structBody(v: GoStruct, depth: number): string {
  return `{${[...v.fields.values()].map((f) => formatValue(f, depth + 1)).join(' ')}}`;
}

/** What `{{ . }}` writes: text/template dereferences a pointer before printing it (`{...}`, not `&{...}`). */
export function formatForTemplate(v: GoValue): string {
  return v instanceof GoStruct ? structBody(v, 0) : formatValue(v);
}

/** fmt.Sprint: operands joined, with a space between two operands when neither is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(arg);
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a newline. */
export function sprintln(args: readonly GoValue[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}
