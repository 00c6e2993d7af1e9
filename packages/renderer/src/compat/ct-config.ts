// consul-template config files (HCL or JSON) read into one typed value, merged in consul-template's order.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@consul-sidecars/core';
import { configBlock, UNSUPPORTED_KEYS, WAIT_BLOCK, type BlockSpec, type ValueKind } from './ct-schema';
import { EXIT_CODES } from './exit-codes';
import { locateHclKeys, locateJsonKeys, type KeyLocations } from './key-locations';
import { parseGoDuration, parsePermsValue, parseSignal, ValueProblem, type SignalName } from './ct-values';

/** A duration as written (kept for the renderer's own parser) and in milliseconds. */
export interface CtDuration {
  text: string;
  ms: number;
}

/** `wait = "5s:10s"` or `wait { min = "5s" max = "10s" }`; max defaults to 4 x min where it is used. */
export interface CtWait {
  min: CtDuration;
  max?: CtDuration;
}

export type CtCommand = string | string[];

export interface CtEnv {
  pristine?: boolean;
  custom?: string[];
  allowlist?: string[];
  denylist?: string[];
}

export interface CtExec {
  command?: CtCommand;
  enabled?: boolean;
  env?: CtEnv;
  kill_signal?: SignalName;
  kill_timeout?: CtDuration;
  reload_signal?: SignalName;
  splay?: CtDuration;
  timeout?: CtDuration;
}

export interface CtGuard {
  min_instances?: number;
  max_drop_fraction?: number;
  drop_hold?: CtDuration;
  reject_empty_upstreams?: boolean;
}

export interface CtUpstreamPush {
  url?: string;
  interval?: CtDuration;
  timeout?: CtDuration;
  check_lua?: boolean;
  nginx?: string;
  lua_modules?: string[];
}

export interface CtTemplate {
  source?: string;
  destination?: string;
  contents?: string;
  command?: CtCommand;
  command_timeout?: CtDuration;
  exec?: { command?: CtCommand; timeout?: CtDuration };
  perms?: number;
  backup?: boolean;
  wait?: CtWait;
  left_delimiter?: string;
  right_delimiter?: string;
  error_on_missing_key?: boolean;
  error_fatal?: boolean;
  create_dest_dirs?: boolean;
  function_denylist?: string[];
  // renderer-only
  validate_command?: CtCommand;
  batch_group?: string;
  guard?: CtGuard;
  vars?: Record<string, unknown>;
  upstream_push?: CtUpstreamPush;
  engine?: string;
  /** Where the block was written ("file:line"), for errors raised later. */
  origin?: string;
}

export interface CtConsul {
  address?: string;
  token?: string;
  token_file?: string;
  ssl?: { enabled?: boolean; verify?: boolean; ca_cert?: string; cert?: string; key?: string; server_name?: string };
  retry?: { enabled?: boolean; attempts?: number; backoff?: CtDuration; max_backoff?: CtDuration };
}

/** One consul-template configuration: every field optional, as consul-template's pointers (unset != default). */
export interface CtConfig {
  consul?: CtConsul;
  template?: CtTemplate[];
  wait?: CtWait;
  max_stale?: CtDuration;
  block_query_wait?: CtDuration;
  kill_signal?: SignalName;
  reload_signal?: SignalName;
  pid_file?: string;
  log_level?: string;
  template_error_fatal?: boolean;
  once?: boolean;
  exec?: CtExec;
  once_timeout?: CtDuration;
  ops?: { host?: string; port?: number; enabled?: boolean };
}

/** Errors name the file and line: `config.hcl:12: template[1]: unknown key "destiantion"`. */
export class CtConfigError extends ConfigError {
  readonly exitCode = EXIT_CODES.config;
  constructor(message: string, details: { field?: string; value?: unknown; source?: string; line?: number }) {
    super(message, details);
    Object.assign(this, { line: details.line, file: details.source });
  }
}

interface DecodeContext {
  file: string;
  locations: KeyLocations;
}

const typeName = (value: unknown) => (Array.isArray(value) ? 'list' : value === null ? 'null' : typeof value === 'object' ? 'block' : typeof value);

/** The line of a path, or of its closest located parent. */
function lineOf(ctx: DecodeContext, path: string): number | undefined {
  let p = path;
  while (p) {
    const at = ctx.locations.get(p) ?? ctx.locations.get(`${p}[0]`); // a block refused whole sits at its first occurrence
    if (at) return at.line;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return undefined;
}

/** `consul[0].ssl[0].verify` -> `consul.ssl.verify`: only templates are numbered in messages. */
const displayPath = (path: string) => path.replace(/(^|\.)([A-Za-z_-]+)\[(\d+)\]/g, (all, dot: string, name: string) => (name === 'template' ? all : `${dot}${name}`));

function fail(ctx: DecodeContext, path: string, message: string, value?: unknown): never {
  const line = lineOf(ctx, path);
  const where = line === undefined ? ctx.file : `${ctx.file}:${line}`;
  const shown = displayPath(path);
  throw new CtConfigError(`${where}: ${shown ? `${shown}: ` : ''}${message}`, { field: shown, value, source: ctx.file, line });
}

/** An unset-looking value: "", false, 0, [], {} or blocks holding only such values (`enabled = false` included). */
function isOff(value: unknown): boolean {
  if (value === '' || value === false || value === 0 || value === null) return true;
  if (Array.isArray(value)) return value.every(isOff);
  if (typeof value === 'object') return Object.values(value as object).every(isOff);
  return false;
}

/** `template[2].user` -> `template.user`, the form UNSUPPORTED_KEYS is keyed by. */
const schemaPath = (path: string) => path.replace(/\[\d+\]/g, '');

function decodeValue(ctx: DecodeContext, path: string, kind: ValueKind, value: unknown): unknown {
  const bad = (what: string): never => fail(ctx, path, `want ${what}, got ${typeName(value)} ${JSON.stringify(value)}`, value);
  try {
    switch (kind) {
      case 'string':
        return typeof value === 'string' ? value : bad('a string');
      case 'bool':
        return typeof value === 'boolean' ? value : bad('true or false');
      case 'int':
        return typeof value === 'number' && Number.isInteger(value) ? value : bad('an integer');
      case 'fraction':
        return typeof value === 'number' && value >= 0 && value <= 1 ? value : bad('a number from 0 to 1');
      case 'duration':
        if (typeof value !== 'string') return bad('a duration string such as "10s"');
        return { text: value, ms: parseGoDuration(value) } satisfies CtDuration;
      case 'signal':
        return typeof value === 'string' ? parseSignal(value) : bad('a signal name such as "SIGHUP"');
      case 'perms':
        return parsePermsValue(value, ctx.locations.get(path)?.raw);
      case 'command':
        if (typeof value === 'string') return value;
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
        return bad('a command string or a list of strings');
      case 'strings':
        // mapstructure's StringToSliceHookFunc(","): a string is split on commas.
        if (typeof value === 'string') return value === '' ? [] : value.split(',');
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
        return bad('a list of strings');
      case 'object': {
        // `vars = { ... }` is an object; `vars { ... }` arrives from HCL as a list of one block (the last one wins).
        const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
        if (Array.isArray(value) && value.length > 0 && value.every(isObject)) return value[value.length - 1];
        return isObject(value) ? value : bad('a block or object');
      }
    }
  } catch (err) {
    if (err instanceof ValueProblem) fail(ctx, path, err.message, value);
    throw err;
  }
}

function decodeWait(ctx: DecodeContext, path: string, value: unknown): CtWait {
  if (typeof value === 'string') {
    const parts = value.split(':');
    if (parts.length > 2 || parts[0].trim() === '') fail(ctx, path, `invalid wait ${JSON.stringify(value)} (want "min" or "min:max")`, value);
    const min = decodeValue(ctx, path, 'duration', parts[0]) as CtDuration;
    const max = parts[1] === undefined ? undefined : (decodeValue(ctx, path, 'duration', parts[1]) as CtDuration);
    if (max && max.ms < min.ms) fail(ctx, path, `max (${max.text}) is less than min (${min.text})`, value);
    return { min, max };
  }
  const block = decodeBlock(ctx, path, WAIT_BLOCK, value) as { min?: CtDuration; max?: CtDuration };
  if (!block.min) fail(ctx, path, 'needs min', value);
  if (block.max && block.max.ms < block.min.ms) fail(ctx, path, `max (${block.max.text}) is less than min (${block.min.text})`, value);
  return { min: block.min, max: block.max };
}

/** One block's occurrences: HCL blocks arrive as lists of objects, JSON as an object or a list. */
function occurrences(ctx: DecodeContext, path: string, value: unknown): { path: string; body: Record<string, unknown> }[] {
  const isBody = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isBody(value)) return [{ path, body: value }];
  if (Array.isArray(value) && value.every(isBody)) return value.map((body, i) => ({ path: `${path}[${i}]`, body }));
  return fail(ctx, path, `want a block, got ${typeName(value)} ${JSON.stringify(value)}`, value);
}

function decodeBlock(ctx: DecodeContext, path: string, spec: BlockSpec, value: unknown): Record<string, unknown> {
  if (typeof value === 'string' && spec.stringAs) return { [spec.stringAs]: value };
  const all = occurrences(ctx, path, value);
  // consul-template keeps only the last occurrence of a non-repeated block (flattenKeys).
  const { path: at, body } = all[all.length - 1];
  return decodeBody(ctx, at, spec, body);
}

function decodeBody(ctx: DecodeContext, path: string, spec: BlockSpec, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const at = path ? `${path}.${key}` : key;
    const field = spec.fields[key];
    if (field === undefined) {
      const reason = UNSUPPORTED_KEYS[schemaPath(at)];
      if (reason && isOff(value)) continue;
      if (reason) fail(ctx, at, `consul-template's "${key}" is not supported: ${reason}`);
      fail(ctx, at, `unknown key "${key}"`);
    }
    if (field === 'wait') out[key] = decodeWait(ctx, at, value);
    else if (typeof field === 'string') out[key] = decodeValue(ctx, at, field, value);
    else if (field.repeated) out[key] = occurrences(ctx, at, value).map((o) => ({ ...decodeBody(ctx, o.path, field, o.body), origin: `${ctx.file}:${lineOf(ctx, o.path) ?? '?'}` }));
    else out[key] = decodeBlock(ctx, at, field, value);
  }
  return out;
}

/** Decodes an already-parsed file (HCL as hcl2json gives it, or JSON) against consul-template's keys. */
export function decodeCtConfig(raw: unknown, locations: KeyLocations, file: string): CtConfig {
  const ctx: DecodeContext = { file, locations };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(ctx, '', 'the file must hold a block of settings');
  const config = decodeBody(ctx, '', configBlock, raw as Record<string, unknown>) as CtConfig;
  for (const t of config.template ?? []) {
    // function_blacklist is the deprecated name; consul-template combines the two.
    const legacy = (t as { function_blacklist?: string[] }).function_blacklist;
    if (legacy) {
      t.function_denylist = [...(t.function_denylist ?? []), ...legacy];
      delete (t as { function_blacklist?: string[] }).function_blacklist;
    }
  }
  const env = config.exec?.env as (CtEnv & { whitelist?: string[]; blacklist?: string[] }) | undefined;
  if (env?.whitelist) env.allowlist = [...(env.allowlist ?? []), ...env.whitelist];
  if (env?.blacklist) env.denylist = [...(env.denylist ?? []), ...env.blacklist];
  if (env) {
    delete env.whitelist;
    delete env.blacklist;
  }
  return config;
}

/** consul-template reads JSON through its HCL decoder: a file whose text starts with `{` is JSON, whatever its name. */
export function looksLikeJson(text: string): boolean {
  return text.trimStart().startsWith('{');
}

/** Parses one file's text (HCL through HashiCorp's parser, or JSON) and decodes it. */
export async function parseCtConfig(text: string, file: string): Promise<CtConfig> {
  if (looksLikeJson(text)) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new CtConfigError(`${file}: not valid JSON: ${(err as Error).message}`, { source: file, value: file });
    }
    return decodeCtConfig(raw, locateJsonKeys(text), file);
  }
  let raw: Record<string, unknown>;
  try {
    // Loaded on first use: importing it starts a Go WASM runtime (~0.5 s, tens of MB), which JSON configs never need.
    const { parse: parseHcl } = await import('@cdktf/hcl2json');
    raw = await parseHcl(file, text);
  } catch (err) {
    // hcl2json reports "parse config: [file:line,col-line,col: summary; detail.]"
    const message = String((err as Error).message ?? err).replace(/^parse config: \[(.*)\]$/s, '$1');
    const line = /:(\d+),\d+/.exec(message)?.[1];
    throw new CtConfigError(`${message.startsWith(file) ? '' : `${file}: `}${message}`, { source: file, value: file, line: line ? Number(line) : undefined });
  }
  return decodeCtConfig(raw, locateHclKeys(text), file);
}

/** The files a `-config` path stands for: the file, or every file below a directory in lexical walk order (filepath.Walk). */
export function configFilesAt(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new CtConfigError(`missing file/folder: ${path}`, { field: 'config', value: path, source: path });
  }
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) throw new CtConfigError(`unknown filetype: ${path}`, { field: 'config', value: path, source: path });
  const files: string[] = [];
  for (const name of readdirSync(path).sort()) files.push(...configFilesAt(join(path, name)));
  return files;
}

const mergeLists = <T>(a: T[] | undefined, b: T[] | undefined) => (b === undefined ? a : [...(a ?? []), ...b]);

function mergeShallow<T extends object>(a: T | undefined, b: T | undefined): T | undefined {
  if (b === undefined) return a;
  return { ...(a ?? {}), ...b } as T;
}

/**
 * `b` over `a`, as consul-template's Merge: set fields of `b` win, nested blocks merge field by field, templates
 * are appended, exec's env lists are appended.
 */
export function mergeCtConfigs(a: CtConfig, b: CtConfig): CtConfig {
  const out: CtConfig = { ...a, ...b };
  if (a.consul || b.consul) {
    out.consul = { ...a.consul, ...b.consul, ssl: mergeShallow(a.consul?.ssl, b.consul?.ssl), retry: mergeShallow(a.consul?.retry, b.consul?.retry) };
    if (!out.consul.ssl) delete out.consul.ssl;
    if (!out.consul.retry) delete out.consul.retry;
  }
  out.template = mergeLists(a.template, b.template);
  if (!out.template) delete out.template;
  if (a.exec || b.exec) {
    const env = a.exec?.env || b.exec?.env
      ? {
          ...a.exec?.env,
          ...b.exec?.env,
          custom: mergeLists(a.exec?.env?.custom, b.exec?.env?.custom),
          allowlist: mergeLists(a.exec?.env?.allowlist, b.exec?.env?.allowlist),
          denylist: mergeLists(a.exec?.env?.denylist, b.exec?.env?.denylist),
        }
      : undefined;
    if (env) for (const k of ['custom', 'allowlist', 'denylist'] as const) if (env[k] === undefined) delete env[k];
    out.exec = { ...a.exec, ...b.exec, ...(env ? { env } : {}) };
  }
  out.ops = mergeShallow(a.ops, b.ops);
  if (!out.ops) delete out.ops;
  return out;
}

/** Every `-config` path (files or directories) read and merged in order: later paths win. */
export async function loadCtConfigPaths(paths: readonly string[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): Promise<CtConfig> {
  let merged: CtConfig = {};
  for (const path of paths) {
    for (const file of configFilesAt(path)) merged = mergeCtConfigs(merged, await parseCtConfig(read(file), file));
  }
  return merged;
}
