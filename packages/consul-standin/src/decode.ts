// Decoding JSON request bodies into typed values, with Go-like error texts and Go's
// case-insensitive field matching (Consul also accepts snake_case aliases).

import { parseGoDuration, DurationError } from './duration';

export class DecodeError extends Error {}

type JsonObject = Record<string, unknown>;

/** Parses a body like encoding/json.Decoder would, reporting errors in Go's words. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new DecodeError('EOF');
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    if (/end of JSON input/i.test(message)) throw new DecodeError('unexpected EOF');
    const position = /position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : firstBadOffset(text);
    const char = text.charAt(offset) || text.trim().charAt(0);
    const context = offset === 0 || text.slice(0, offset).trim() === '' ? 'looking for beginning of value' : 'in JSON value';
    throw new DecodeError(`invalid character '${char}' ${context}`);
  }
}

function firstBadOffset(text: string): number {
  const index = text.search(/\S/);
  return index < 0 ? 0 : index;
}

function normalise(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** A view over one decoded JSON object that reads fields by Go's rules. */
export class Fields {
  private readonly byName = new Map<string, unknown>();

  constructor(readonly struct: string, source: unknown) {
    if (source === null || source === undefined) return;
    if (typeof source !== 'object' || Array.isArray(source)) {
      throw new DecodeError(`json: cannot unmarshal ${jsonType(source)} into Go value of type ${struct}`);
    }
    for (const [key, value] of Object.entries(source as JsonObject)) this.byName.set(normalise(key), value);
  }

  has(...names: string[]): boolean {
    return names.some((name) => this.raw(name) !== undefined);
  }

  raw(...names: string[]): unknown {
    for (const name of names) {
      const value = this.byName.get(normalise(name));
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private fail(name: string, value: unknown, goType: string): never {
    throw new DecodeError(`json: cannot unmarshal ${jsonType(value)} into Go struct field ${this.struct}.${name} of type ${goType}`);
  }

  string(name: string, ...aliases: string[]): string | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.fail(name, value, 'string');
    return value;
  }

  int(name: string, ...aliases: string[]): number | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(name, value, 'int');
    return value;
  }

  bool(name: string, ...aliases: string[]): boolean | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(name, value, 'bool');
    return value;
  }

  stringList(name: string, ...aliases: string[]): string[] | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(name, value, '[]string');
    for (const item of value) if (typeof item !== 'string') this.fail(name, item, 'string');
    return value as string[];
  }

  stringMap(name: string, ...aliases: string[]): Record<string, string> | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(name, value, 'map[string]string');
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value as JsonObject)) {
      if (typeof item !== 'string') this.fail(name, item, 'string');
      out[key] = item;
    }
    return out;
  }

  headerMap(name: string): Record<string, string[]> | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(name, value, 'map[string][]string');
    const out: Record<string, string[]> = {};
    for (const [key, item] of Object.entries(value as JsonObject)) {
      if (!Array.isArray(item) || item.some((v) => typeof v !== 'string')) this.fail(name, item, '[]string');
      out[key] = item as string[];
    }
    return out;
  }

  object(name: string, struct: string, ...aliases: string[]): Fields | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(name, value, struct);
    return new Fields(struct, value);
  }

  objectList(name: string, struct: string, ...aliases: string[]): Fields[] | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(name, value, `[]${struct}`);
    return value.map((item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) this.fail(name, item, struct);
      return new Fields(struct, item);
    });
  }

  /** A duration given as a Go duration string or as integer nanoseconds; returns milliseconds. */
  duration(name: string, ...aliases: string[]): number | undefined {
    const value = this.raw(name, ...aliases);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number') return value / 1e6;
    if (typeof value !== 'string') this.fail(name, value, 'time.Duration');
    try {
      return parseGoDuration(value);
    } catch (err) {
      if (err instanceof DurationError) throw new DecodeError(err.message);
      throw err;
    }
  }
}
