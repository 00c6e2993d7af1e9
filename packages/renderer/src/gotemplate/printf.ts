// Go's fmt.Sprintf for the verbs templates use (%v %s %d %q %x %X %o %b %e %f %g %t %c %U %T %%), with flags,
// width and precision, and fmt's own error text for a wrong type (`%!d(string=x)`) or a missing argument.

import { formatFloatE, formatFloatF, formatFloatG } from './float-format';
import { formatValue } from './format';
import { GoFloat, GoMap, GoStruct, goTypeName, listItems, sortedKeys, type GoValue } from './values';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  precision?: number;
  verb: string;
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || s.length >= spec.width) return s;
  const fill = spec.width - s.length;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero) {
    const sign = numeric && /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function bad(verb: string, v: GoValue): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function signed(n: number, spec: Spec, body: string): string {
  if (n < 0 || Object.is(n, -0)) return `-${body}`;
  if (spec.plus) return `+${body}`;
  if (spec.space) return ` ${body}`;
  return body;
}

function formatInt(n: number, spec: Spec): string | undefined {
  const abs = Math.abs(n);
  let body: string;
  switch (spec.verb) {
    case 'd': case 'v': body = String(abs); break;
    case 'x': body = abs.toString(16); if (spec.sharp) body = `0x${body}`; break;
    case 'X': body = abs.toString(16).toUpperCase(); if (spec.sharp) body = `0X${body}`; break;
    case 'o': body = abs.toString(8); if (spec.sharp) body = `0${body}`; break;
    case 'O': body = `0o${abs.toString(8)}`; break;
    case 'b': body = abs.toString(2); break;
    case 'c': return String.fromCodePoint(n);
    case 'q': return `'${String.fromCodePoint(n)}'`;
    case 'U': return `U+${n.toString(16).toUpperCase().padStart(4, '0')}`;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 's': case 't': return undefined;
    default: return undefined;
  }
  if (spec.precision !== undefined) body = body.padStart(spec.precision, '0');
  return signed(n, spec, body);
}

function formatFloat(x: number, spec: Spec): string | undefined {
  const abs = Math.abs(x);
  let body: string;
  switch (spec.verb) {
    case 'v': case 'g': body = formatFloatG(abs, spec.precision ?? -1); break;
    case 'G': body = formatFloatG(abs, spec.precision ?? -1, true); break;
    case 'e': case 'E': body = formatFloatE(abs, spec.precision ?? 6, spec.verb === 'E'); break;
    case 'f': case 'F': body = formatFloatF(abs, spec.precision ?? 6); break;
    default: return undefined;
  }
  return Number.isNaN(x) ? 'NaN' : signed(x, spec, body);
}

function formatString(s: string, spec: Spec): string | undefined {
  const cut = spec.precision === undefined ? s : [...s].slice(0, spec.precision).join('');
  switch (spec.verb) {
    case 's': case 'v': return cut;
    case 'q': return goQuote(cut);
    case 'x': case 'X': {
      const hex = Buffer.from(cut, 'utf8').toString('hex');
      return spec.verb === 'X' ? hex.toUpperCase() : hex;
    }
    default: return undefined;
  }
}

function isContainer(v: GoValue): boolean {
  return listItems(v) !== undefined || v instanceof GoMap || v instanceof GoStruct;
}

/** One operand under one verb; undefined when the verb does not apply to the value's type. */
function formatOne(v: GoValue, spec: Spec): string | undefined {
  if (spec.verb === 'T') return v === null || v === undefined ? '<nil>' : goTypeName(v);
  if (typeof v === 'string') return formatString(v, spec);
  if (typeof v === 'number') return formatInt(v, spec);
  if (v instanceof GoFloat) return formatFloat(v.value, spec);
  if (typeof v === 'boolean') return spec.verb === 't' || spec.verb === 'v' ? String(v) : undefined;
  if (spec.verb === 'v' && (spec.width === undefined || !isContainer(v))) return formatValue(v);
  // Containers format element by element, each padded to the width: a wrong verb marks only the elements it does not fit.
  const each = (item: GoValue) => {
    const text = formatOne(item, spec);
    return text === undefined ? bad(spec.verb, item) : isContainer(item) ? text : pad(text, spec, typeof item === 'number' || item instanceof GoFloat);
  };
  const items = listItems(v);
  if (items) return `[${items.map(each).join(' ')}]`;
  if (v instanceof GoMap) return `map[${sortedKeys(v).map((k) => `${each(k)}:${each(v.entries.get(k))}`).join(' ')}]`;
  if (v instanceof GoStruct) return `${v.typeName.startsWith('*') ? '&' : ''}{${[...v.fields.values()].map(each).join(' ')}}`;
  return undefined;
}

export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argIndex = 0;
  let i = 0;
  const nextNumber = (): number | undefined => {
    if (format[i] === '*') {
      i++;
      const v = args[argIndex++];
      return typeof v === 'number' ? v : undefined;
    }
    const m = /^[0-9]+/.exec(format.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, verb: '' };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === '#') spec.sharp = true;
      else if (f === ' ') spec.space = true;
      else if (f === '0') spec.zero = !spec.minus;
      else break;
    }
    spec.width = nextNumber();
    if (format[i] === '.') {
      i++;
      spec.precision = nextNumber() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    spec.verb = format[i++];
    if (spec.verb === '%') {
      out += '%';
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${spec.verb}(MISSING)`;
      continue;
    }
    const v = args[argIndex++];
    const text = v === undefined || v === null ? (spec.verb === 'v' ? '<nil>' : undefined) : formatOne(v, spec);
    if (text === undefined) out += bad(spec.verb, v);
    else out += isContainer(v) && (spec.verb !== 'v' || spec.width !== undefined) ? text : pad(text, spec, typeof v === 'number' || v instanceof GoFloat);
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args.slice(argIndex).map((a) => (a === null || a === undefined ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`)).join(', ')})`;
  }
  return out;
}
