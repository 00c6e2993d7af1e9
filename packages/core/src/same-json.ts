// Equality of parsed answers, cheaply: what a Consul or Docker answer parses to is plain objects, arrays and
// primitives, compared here field by field, where util.isDeepStrictEqual's generic walk (prototypes, symbols,
// descriptors, cycles) costs several times more per element: 1,000-service catalog answers are compared on every
// change by every watcher. Anything else (a Map, a Set, a Date, a class instance) is left to isDeepStrictEqual. For
// values made of JSON (plain objects without symbol keys, dense arrays, primitives) the answer is isDeepStrictEqual's,
// but for 0 and -0 (equal here; JSON.parse never yields -0 from "0").

import { isDeepStrictEqual } from 'node:util';

const OBJECT_PROTOTYPE = Object.prototype;
const hasOwn = Object.prototype.hasOwnProperty;

export function sameJsonValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    for (let i = 0; i < a.length; i++) if (!sameJsonValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.getPrototypeOf(b)) return false;
  if (proto !== OBJECT_PROTOTYPE && proto !== null) return isDeepStrictEqual(a, b);
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key of keys) if (!hasOwn.call(y, key) || !sameJsonValue(x[key], y[key])) return false;
  return true;
}
