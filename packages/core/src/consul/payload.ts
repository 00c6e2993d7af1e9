// Strict readers for the fields of a Consul JSON answer. Every failure is ERR_CONSUL_PAYLOAD naming the field's
// path (e.g. "[2].Service.Port") and the bad value, so a malformed answer is diagnosed from the log line alone.

import { CodedError } from '../errors';
import { ERR_CONSUL_PAYLOAD } from '../error-codes';

function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The one error of the reader: `<path> is <value>, expected <what>`. */
export function payloadError(path: string, value: unknown, expected: string, endpoint?: string): CodedError {
  const where = endpoint ? `${endpoint}: ` : '';
  return new CodedError(ERR_CONSUL_PAYLOAD, `unexpected Consul answer: ${where}${path || '(body)'} is ${shown(value)}, expected ${expected}`, {
    field: path || '(body)',
    value,
    ...(endpoint ? { endpoint } : {}),
  });
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The elements of a JSON array; `null` (Consul's empty list in some versions) is an empty list. */
export function arrayAt(value: unknown, path: string): Array<{ value: unknown; path: string }> {
  if (value === null) return [];
  if (!Array.isArray(value)) throw payloadError(path, value, 'a list');
  return value.map((item, i) => ({ value: item, path: join(path, i) }));
}

/** The entries of a JSON object used as a map (agent services, catalog services); `null` is empty. */
export function entriesAt(value: unknown, path: string): Array<{ key: string; value: unknown; path: string }> {
  if (value === null) return [];
  if (!isRecord(value)) throw payloadError(path, value, 'an object');
  return Object.keys(value).map((key) => ({ key, value: value[key], path: join(path, key) }));
}

/** A JSON list of strings (`null` is empty); `what` names an element in errors, e.g. "a key name". */
export function stringsAt(value: unknown, path: string, what = 'a string'): string[] {
  return arrayAt(value, path).map((item) => {
    if (typeof item.value !== 'string') throw payloadError(item.path, item.value, what);
    return item.value;
  });
}

/** Typed access to one JSON object's fields. Optional fields accept a missing key and `null` (Consul writes both). */
export class Fields {
  readonly path: string;
  private readonly obj: Record<string, unknown>;

  constructor(value: unknown, path: string) {
    if (!isRecord(value)) throw payloadError(path, value, 'an object');
    this.obj = value;
    this.path = path;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  at(key: string): string {
    return join(this.path, key);
  }

  fail(key: string, expected: string): never {
    throw payloadError(this.at(key), this.obj[key], expected);
  }

  string(key: string): string {
    const v = this.obj[key];
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  optString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  stringOr(key: string, fallback: string): string {
    return this.optString(key) ?? fallback;
  }

  int(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(key, 'an integer');
    return v;
  }

  optInt(key: string): number | undefined {
    return this.has(key) ? this.int(key) : undefined;
  }

  intOr(key: string, fallback: number): number {
    return this.optInt(key) ?? fallback;
  }

  /** An integer in [min, max], e.g. a port (0..65535). */
  intIn(key: string, min: number, max: number): number {
    const v = this.int(key);
    if (v < min || v > max) this.fail(key, `an integer in ${min}..${max}`);
    return v;
  }

  bool(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== 'boolean') this.fail(key, 'a boolean');
    return v;
  }

  boolOr(key: string, fallback: boolean): boolean {
    return this.has(key) ? this.bool(key) : fallback;
  }

  /** A list of strings; missing or null is []. */
  strings(key: string): string[] {
    return arrayAt(this.obj[key] ?? null, this.at(key)).map((item) => {
      if (typeof item.value !== 'string') throw payloadError(item.path, item.value, 'a string');
      return item.value;
    });
  }

  /** A map of string values (Meta, NodeMeta, node TaggedAddresses), keys sorted; missing or null is {}. */
  stringMap(key: string): Record<string, string> {
    const out: Record<string, string> = {};
    const entries = entriesAt(this.obj[key] ?? null, this.at(key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const entry of entries) {
      if (typeof entry.value !== 'string') throw payloadError(entry.path, entry.value, 'a string');
      out[entry.key] = entry.value;
    }
    return out;
  }

  /** A nested object's fields. */
  object(key: string): Fields {
    return new Fields(this.obj[key], this.at(key));
  }

  optObject(key: string): Fields | undefined {
    return this.has(key) ? this.object(key) : undefined;
  }
}
