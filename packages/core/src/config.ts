// Config from defaults, an optional JSON file, env and flags (later wins), validated once against a JSON schema.

import { readFileSync } from 'node:fs';
import type { default as Ajv, ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';
import { ConfigError, errorMessage } from './errors';

export type ConfigSchema<T> = JSONSchemaType<T>;

export interface ConfigSources {
  /** Lowest precedence: values the daemon starts from (schema defaults also apply). */
  defaults?: Record<string, unknown>;
  /** Path of a JSON config file; its absence is an error only when given. */
  file?: string;
  /** Values from env vars, already keyed by config path (see `envToConfig`). */
  env?: Record<string, unknown>;
  /** Values from flags, keyed by config path (see `parseFlags`). */
  flags?: Record<string, unknown>;
}

/**
 * How every config schema is compiled: at run time here, and ahead of time into each daemon's
 * *-validator.generated.ts (scripts/compile-config-schemas.js, with these same options), so the daemons never load
 * ajv itself (~8 MiB of RSS for the library, ~3 more per compiled schema: measured in the renderer's process).
 */
export const CONFIG_AJV_OPTIONS = { allErrors: true, useDefaults: true, coerceTypes: true, strict: false } as const;

/** A schema compiled ahead of time: ajv's standalone code, which sets `errors` as a compiled schema does. */
export type PrecompiledValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

let ajvInstance: Ajv | undefined;
/** ajv is loaded by the first schema validated without a precompiled validator (tests, ad-hoc schemas), not before. */
function ajv(): Ajv {
  if (!ajvInstance) {
    const { default: AjvClass } = require('ajv') as typeof import('ajv');
    ajvInstance = new AjvClass(CONFIG_AJV_OPTIONS);
  }
  return ajvInstance;
}
const compiled = new WeakMap<object, ValidateFunction>();

function validatorOf(schema: object | PrecompiledValidator): PrecompiledValidator {
  if (typeof schema === 'function') return schema as PrecompiledValidator;
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Sets `value` at a dot-separated `path` in `target`, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function getPath(target: unknown, pointer: string): unknown {
  let node = target as Record<string, unknown> | undefined;
  for (const part of pointer.split('/').filter(Boolean)) node = node?.[part] as Record<string, unknown> | undefined;
  return node;
}

function mergeDeep(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === undefined) continue;
    const prior = out[key];
    const bothObjects = [prior, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? mergeDeep(prior as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** Maps env vars to config paths: `{ CONSUL_HTTP_ADDR: 'consul.address' }`; unset and empty vars are skipped. */
export function envToConfig(env: NodeJS.ProcessEnv, mapping: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(mapping)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(out, path, value);
  }
  return out;
}

/** Expands flat dotted keys (as parseFlags returns them) into nested objects. */
export function expandPaths(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) setPath(out, path, value);
  return out;
}

function describeError(error: ErrorObject, data: unknown): { field: string; text: string; value: unknown } {
  let pointer = error.instancePath;
  if (error.keyword === 'required') pointer += `/${(error.params as { missingProperty: string }).missingProperty}`;
  if (error.keyword === 'additionalProperties') pointer += `/${(error.params as { additionalProperty: string }).additionalProperty}`;
  const field = pointer.split('/').filter(Boolean).join('.') || '(root)';
  const value = getPath(data, pointer);
  const text = error.keyword === 'additionalProperties' ? 'is not a known setting' : (error.message ?? 'is invalid');
  return { field, text, value };
}

/**
 * Validates `data` against `schema`, or with its precompiled validator (filling schema defaults); throws a
 * ConfigError naming every bad field and value.
 */
export function validateWithSchema<T>(schema: object | PrecompiledValidator, data: unknown, source = 'config'): T {
  const validate = validatorOf(schema);
  if (validate(data)) return data as T;
  const problems = (validate.errors ?? []).map((e) => describeError(e, data));
  const first = problems[0];
  const text = problems.map((p) => `${p.field} ${p.text} (got ${JSON.stringify(p.value)})`).join('; ');
  throw new ConfigError(`invalid ${source}: ${text}`, { field: first?.field, value: first?.value, source });
}

export function readJsonFile(path: string, what = 'config file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${errorMessage(err)}`, { field: 'file', value: path });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${what} ${path} is not valid JSON: ${errorMessage(err)}`, { field: 'file', value: path });
  }
}

/** Loads and validates a daemon's config: defaults < file < env < flags. */
export function loadConfig<T>(schema: object | PrecompiledValidator, sources: ConfigSources): T {
  let merged: Record<string, unknown> = structuredClone(sources.defaults ?? {});
  if (sources.file) {
    const fromFile = readJsonFile(sources.file);
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
      throw new ConfigError(`config file ${sources.file} must hold a JSON object`, { field: 'file', value: sources.file });
    }
    merged = mergeDeep(merged, fromFile as Record<string, unknown>);
  }
  merged = mergeDeep(merged, sources.env ?? {});
  merged = mergeDeep(merged, expandPaths(sources.flags ?? {}));
  return validateWithSchema<T>(schema, merged);
}
