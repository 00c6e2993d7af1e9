// consul-template's string helpers (join, split, splitToMap, trims, replaceAll, regex*, case, indent, base64,
// hashes), with the argument order that lets them sit at the end of a pipe: the piped value is always last.

import { createHash, createHmac } from 'node:crypto';
import { int, str, strings } from '../params';
import { GoCallError, GoMap, stringSlice } from '../values';
import { fixed, type FunctionTable } from './render-context';

/** Go (RE2) syntax to a JS RegExp: (?P<n>...) groups and leading (?i)/(?s)/(?m) flags. */
export function goRegExp(source: string, global = false): RegExp {
  let pattern = source.replace(/\(\?P</g, '(?<');
  let flags = global ? 'gu' : 'u';
  const lead = /^\(\?([ims]+)\)/.exec(pattern);
  if (lead) {
    flags += lead[1];
    pattern = pattern.slice(lead[0].length);
  }
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    throw new GoCallError(`error parsing regexp: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Go's Expand syntax ($1, ${1}, ${name}, $$) to JS replacement syntax. */
function goReplacement(template: string): string {
  return template.replace(/\$(\$|\{(\w+)\}|(\d+)|([A-Za-z_]\w*))/g, (whole, _all, braced: string | undefined, num: string | undefined, name: string | undefined) => {
    if (whole === '$$') return '$$';
    const ref = braced ?? num ?? name ?? '';
    return /^\d+$/.test(ref) ? `$${ref}` : `$<${ref}>`;
  });
}

/** strings.Split: an empty separator splits into UTF-8 sequences (characters). */
function goSplit(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

/** golang.org/x/text cases.Title(und, NoLower): the first letter of each word upper-cased, the rest kept. */
function toTitle(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}'’_])(\p{Ll})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

function indent(spaces: number, s: string): string {
  if (spaces < 0) throw new GoCallError('indent value must be a positive integer');
  const prefix = ' '.repeat(spaces);
  let out = '';
  let atLineStart = true;
  for (const c of s) {
    if (atLineStart && c !== '\n') out += prefix;
    out += c;
    atLineStart = c === '\n';
  }
  return out;
}

function base64Decode(s: string, label: string, url: boolean): string {
  const alphabet = url ? /[A-Za-z0-9\-_]/ : /[A-Za-z0-9+/]/;
  const body = s.replace(/=+$/, '');
  for (let i = 0; i < body.length; i++) {
    if (!alphabet.test(body[i])) throw new GoCallError(`${label}: illegal base64 data at input byte ${i}`);
  }
  if (s.length % 4 !== 0 || s.length - body.length > 2) throw new GoCallError(`${label}: illegal base64 data at input byte ${Math.min(body.length, s.length)}`);
  return Buffer.from(s, url ? 'base64url' : 'base64').toString('utf8');
}

export function stringFunctions(table: FunctionTable): void {
  table.set('join', fixed(2, (a) => strings(a, 1).join(str(a, 0))));
  table.set('split', fixed(2, (a) => {
    const s = str(a, 1).trim();
    return stringSlice(s === '' ? [] : goSplit(s, str(a, 0)));
  }));
  table.set('splitToMap', fixed(3, (a) => {
    const s = str(a, 2).trim();
    const entries = new Map<string, string>();
    if (s !== '') {
      for (const item of goSplit(s, str(a, 0))) {
        const sep = str(a, 1);
        const at = item.indexOf(sep);
        if (at >= 0) entries.set(item.slice(0, at), item.slice(at + sep.length));
      }
    }
    return new GoMap(entries, 'map[string]string', '');
  }));
  table.set('trimSpace', fixed(1, (a) => str(a, 0).replace(/^[\s\u0085]+|[\s\u0085]+$/g, '')));
  table.set('trim', fixed(2, (a) => {
    const cut = new Set([...str(a, 0)]);
    const chars = [...str(a, 1)];
    let start = 0;
    let end = chars.length;
    while (start < end && cut.has(chars[start])) start++;
    while (end > start && cut.has(chars[end - 1])) end--;
    return chars.slice(start, end).join('');
  }));
  table.set('trimPrefix', fixed(2, (a) => (str(a, 1).startsWith(str(a, 0)) ? str(a, 1).slice(str(a, 0).length) : str(a, 1))));
  table.set('trimSuffix', fixed(2, (a) => (str(a, 0) !== '' && str(a, 1).endsWith(str(a, 0)) ? str(a, 1).slice(0, -str(a, 0).length) : str(a, 1))));
  table.set('replaceAll', fixed(3, (a) => str(a, 2).split(str(a, 0)).join(str(a, 1))));
  table.set('regexReplaceAll', fixed(3, (a) => str(a, 2).replace(goRegExp(str(a, 0), true), goReplacement(str(a, 1)))));
  table.set('regexMatch', fixed(2, (a) => goRegExp(str(a, 0)).test(str(a, 1))));
  table.set('toLower', fixed(1, (a) => str(a, 0).toLowerCase()));
  table.set('toUpper', fixed(1, (a) => str(a, 0).toUpperCase()));
  table.set('toTitle', fixed(1, (a) => toTitle(str(a, 0))));
  table.set('indent', fixed(2, (a) => indent(int(a, 0), str(a, 1))));
  table.set('base64Encode', fixed(1, (a) => Buffer.from(str(a, 0), 'utf8').toString('base64')));
  table.set('base64Decode', fixed(1, (a) => base64Decode(str(a, 0), 'base64Decode', false)));
  table.set('base64URLEncode', fixed(1, (a) => Buffer.from(str(a, 0), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_')));
  table.set('base64URLDecode', fixed(1, (a) => base64Decode(str(a, 0), 'base64URLDecode', true)));
  table.set('sha256Hex', fixed(1, (a) => createHash('sha256').update(str(a, 0), 'utf8').digest('hex')));
  table.set('hmacSHA256Hex', fixed(2, (a) => createHmac('sha256', str(a, 1)).update(str(a, 0), 'utf8').digest('hex')));
  table.set('md5sum', fixed(1, (a) => createHash('md5').update(str(a, 0), 'utf8').digest('hex')));
}
