// Go's fmt %v text for template values: what `{{ . }}` and print write (`[a b]`, `map[k:v]`, `1e+06`, `<nil>`).

import { GoChan, GoFloat, GoFunc, GoMap, GoSlice, GoStruct, sortedKeys, type GoValue } from './values';

/** Decimal digits and the exponent of the shortest representation that round-trips (as strconv's shortest). */
export function shortestDigits(x: number): { digits: string; exp: number } {
  const [mantissa, e] = Math.abs(x).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), exp: Number(e) };
}

/** Go's exponent form: at least two exponent digits (`1e+06`, `1.5e-07`). */
function exponentSuffix(exp: number, upper = false): string {
  const sign = exp < 0 ? '-' : '+';
  const digits = String(Math.abs(exp)).padStart(2, '0');
  return `${upper ? 'E' : 'e'}${sign}${digits}`;
}

/** %e with `prec` digits after the point (-1: shortest). */
export function formatFloatE(x: number, prec: number, upper = false): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  let digits: string;
  let exp: number;
  if (prec < 0) ({ digits, exp } = shortestDigits(x));
  else {
    const [m, e] = Math.abs(x).toExponential(prec).split('e');
    digits = m.replace('.', '');
    exp = Number(e);
  }
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${body}${exponentSuffix(exp, upper)}`;
}

/** %f with `prec` decimals (-1: shortest, as strconv.FormatFloat(x, 'f', -1, 64)). */
export function formatFloatF(x: number, prec: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (prec >= 0) return sign + Math.abs(x).toFixed(prec);
  const { digits, exp } = shortestDigits(x);
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** %g (and %v, which is %g with shortest digits): %e when the exponent is < -4 or >= the precision (6 if shortest). */
export function formatFloatG(x: number, prec: number, upper = false): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  let digits: string;
  let exp: number;
  if (prec < 0) ({ digits, exp } = shortestDigits(x));
  else {
    const p = prec === 0 ? 1 : prec;
    const [m, e] = Math.abs(x).toExponential(p - 1).split('e');
    digits = m.replace('.', '').replace(/0+$/, '') || '0';
    exp = Number(e);
  }
  const eprec = prec < 0 ? 6 : prec === 0 ? 1 : prec;
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${body}${exponentSuffix(exp, upper)}`;
  }
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

function nonFinite(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? '+Inf' : '-Inf';
}

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
