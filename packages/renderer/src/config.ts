// The renderer's configuration: a JSON file and consul-template-like flags, validated once into typed values.

import { isAbsolute, resolve, dirname } from 'node:path';
import {
  ConfigError,
  expandPaths,
  parseDuration,
  parseFlags,
  readJsonFile,
  validateWithSchema,
  type FlagSpec,
} from '@consul-sidecars/core';

/** A command as an argument array (run directly) or a single string (run through `sh -c`). */
export type CommandSpec = string | string[];

export interface WaitConfig {
  minMs: number;
  maxMs: number;
}

export interface GuardConfig {
  /** Fewer service instances than this in one render -> hold the last good file. 0 turns it off. */
  minInstances: number;
  /** A drop of more than this fraction of the instances seen in the last good render is held... */
  maxDropFraction: number;
  /** ...until it has persisted this long (a real scale-down is accepted; a blip from a Consul election is not). */
  dropHoldMs: number;
  /** Hold a render that contains an nginx `upstream {}` block with no `server` (nginx refuses to load it). */
  rejectEmptyUpstreams: boolean;
}

export interface TemplateConfig {
  /** Path of the nunjucks template (absent when `contents` is given). */
  source?: string;
  /** Inline template text. */
  contents?: string;
  destination: string;
  /**
   * Run against the candidate before it goes live. With `{{candidate}}` in it, it runs against the candidate's
   * path while the live file is untouched; without, the candidate is swapped in for the command under the runner's
   * lock and swapped back out when it fails (see README, "Validation").
   */
  validateCommand?: CommandSpec;
  reloadCommand?: CommandSpec;
  commandTimeoutMs: number;
  /** File mode; default: keep the existing file's mode, else 0644. */
  perms?: number;
  /** Keep one `<destination>.bak` of the previous file. */
  backup: boolean;
  createDestDirs: boolean;
  /** Per-template quiescence; default: the global wait. */
  wait?: WaitConfig;
  /** Templates sharing a group are validated and reloaded together: one validation and one reload per batch. */
  group: string;
  guard: GuardConfig;
  /** Values the template reads as `vars.*` (listen port, domain prefix...). */
  vars: Record<string, unknown>;
  /** No-reload mode: where pushUpstream() members go (nginx's loopback admin location, lua/consul_sidecars). */
  upstreamPush?: UpstreamPushConfig;
}

export interface UpstreamPushConfig {
  /** Base URL of the admin location, e.g. http://127.0.0.1:9480/consul-sidecars */
  url: string;
  /** How often nginx is checked for a restart (an empty shared dict) and failed pushes retried. */
  intervalMs: number;
  timeoutMs: number;
  /** Check the shipped Lua with nginx's LuaJIT before the first write (nginx -t does not run Lua). */
  checkLua: boolean;
  /** The nginx binary for that check (default `nginx`). */
  nginx: string;
  /** Dynamic modules the check loads; default Debian's ndk + lua modules when present. */
  luaModules?: string[];
}

export interface RendererConfig {
  consul: {
    /** Agent address; default from CONSUL_HTTP_ADDR, else 127.0.0.1:8500. */
    address?: string;
    /** `wait=` of each blocking query, in seconds. */
    waitSeconds: number;
    /** Ceiling of the backoff between failed queries (Consul down): how soon changes flow again once it is back. */
    retryMaxMs: number;
  };
  wait: WaitConfig;
  once: boolean;
  dryRun: boolean;
  /** In --once mode, give up (non-zero exit) when the dependencies have not all answered by then. */
  onceTimeoutMs: number;
  ops: { host: string; port: number; enabled: boolean };
  logLevel: string;
  templates: TemplateConfig[];
}

export const NO_WAIT: WaitConfig = { minMs: 0, maxMs: 0 };

export const DEFAULT_GUARD: GuardConfig = { minInstances: 1, maxDropFraction: 1, dropHoldMs: 5 * 60_000, rejectEmptyUpstreams: true };

const commandSchema = { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }] };
const waitSchema = { oneOf: [{ type: 'string' }, { type: 'object', properties: { min: { type: ['string', 'number'] }, max: { type: ['string', 'number'] } }, required: ['min'], additionalProperties: false }] };

const templateSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: { type: 'string', minLength: 1 },
    contents: { type: 'string' },
    destination: { type: 'string', minLength: 1 },
    validateCommand: commandSchema,
    reloadCommand: commandSchema,
    commandTimeout: { type: ['string', 'number'] },
    perms: { type: ['string', 'number'] },
    backup: { type: 'boolean' },
    createDestDirs: { type: 'boolean' },
    wait: waitSchema,
    group: { type: 'string', minLength: 1 },
    guard: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minInstances: { type: 'integer', minimum: 0 },
        maxDropFraction: { type: 'number', minimum: 0, maximum: 1 },
        dropHold: { type: ['string', 'number'] },
        rejectEmptyUpstreams: { type: 'boolean' },
      },
    },
    vars: { type: 'object' },
    upstreamPush: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: { type: 'string', pattern: '^http://' },
        interval: { type: ['string', 'number'] },
        timeout: { type: ['string', 'number'] },
        checkLua: { type: 'boolean' },
        nginx: { type: 'string', minLength: 1 },
        luaModules: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
      required: ['url'],
    },
  },
  required: ['destination'],
};

/** The file format (and what flags merge into). Durations are Go strings: "250ms", "10s", "1m". */
export const rendererConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    consul: {
      type: 'object',
      additionalProperties: false,
      properties: { address: { type: 'string' }, waitSeconds: { type: 'number', minimum: 1, maximum: 600 }, retryMax: { type: ['string', 'number'] } },
    },
    wait: waitSchema,
    once: { type: 'boolean' },
    dryRun: { type: 'boolean' },
    onceTimeout: { type: ['string', 'number'] },
    ops: {
      type: 'object',
      additionalProperties: false,
      properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 0, maximum: 65535 }, enabled: { type: 'boolean' } },
    },
    logLevel: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    templates: { type: 'array', items: templateSchema },
  },
};

/** consul-template's `-wait "min:max"` (or just "min", then max = 4 x min). */
export function parseWait(input: string | { min: string | number; max?: string | number }, field = 'wait'): WaitConfig {
  let minText: string | number;
  let maxText: string | number | undefined;
  if (typeof input === 'string') {
    const parts = input.split(':');
    if (parts.length > 2 || parts[0].trim() === '') throw new ConfigError(`${field}: invalid wait "${input}" (want min or min:max, e.g. 2s:10s)`, { field, value: input });
    [minText, maxText] = parts;
  } else {
    minText = input.min;
    maxText = input.max;
  }
  const minMs = parseDuration(minText, `${field}.min`);
  const maxMs = maxText === undefined || maxText === '' ? minMs * 4 : parseDuration(maxText, `${field}.max`);
  if (maxMs < minMs) throw new ConfigError(`${field}: max (${maxText}) is less than min (${minText})`, { field, value: input });
  return { minMs, maxMs };
}

/** Octal perms as consul-template writes them: "0644", "644" or the number 420. */
export function parsePerms(input: string | number, field = 'perms'): number {
  const mode = typeof input === 'number' ? input : /^0?[0-7]{3,4}$/.test(input.trim()) ? parseInt(input.trim(), 8) : NaN;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new ConfigError(`${field}: invalid file mode ${JSON.stringify(input)} (want e.g. "0644")`, { field, value: input });
  return mode;
}

/**
 * `-template "in.njk:out.conf:nginx -s reload"`: source, destination, then the rest (colons included) is the reload
 * command, run through `sh -c`.
 */
export function parseTemplateFlag(text: string): Record<string, unknown> {
  const first = text.indexOf(':');
  if (first <= 0) throw new ConfigError(`-template: want "source:destination[:command]", got "${text}"`, { field: 'template', value: text });
  const second = text.indexOf(':', first + 1);
  const source = text.slice(0, first);
  const destination = second === -1 ? text.slice(first + 1) : text.slice(first + 1, second);
  const command = second === -1 ? '' : text.slice(second + 1).trim();
  if (!destination) throw new ConfigError(`-template: missing destination in "${text}"`, { field: 'template', value: text });
  return command ? { source, destination, reloadCommand: command } : { source, destination };
}

export const rendererFlags: Record<string, FlagSpec> = {
  config: { type: 'string', path: 'configFile', description: 'JSON config file (templates, guard, commands)' },
  template: { type: 'list', path: 'templateFlags', description: '"source:destination[:reload command]" (repeatable)' },
  once: { type: 'boolean', description: 'render every template once, then exit (0 only when all rendered)' },
  dry: { type: 'boolean', path: 'dryRun', description: 'print what would be written; write, validate and reload nothing' },
  'dry-run': { type: 'boolean', path: 'dryRun', description: 'same as -dry' },
  wait: { type: 'string', description: 'quiescence "min[:max]", e.g. 2s:10s (never applied to the first render)' },
  'consul-addr': { type: 'string', path: 'consul.address', description: 'Consul agent address (default CONSUL_HTTP_ADDR or 127.0.0.1:8500)' },
  'once-timeout': { type: 'string', path: 'onceTimeout', description: 'with -once: give up after this long (default 30s)' },
  'ops-port': { type: 'number', path: 'ops.port', description: 'loopback port of /metrics and /health (0 = ephemeral; default 9465)' },
  'ops-host': { type: 'string', path: 'ops.host', description: 'address of /metrics and /health (default 127.0.0.1)' },
  'no-ops': { type: 'boolean', path: 'noOps', description: 'serve no /metrics and /health' },
  'log-level': { type: 'string', path: 'logLevel', description: 'trace|debug|info|warn|error' },
  help: { type: 'boolean', description: 'show this help' },
};

export interface CliOptions {
  config: RendererConfig;
  help: boolean;
}

function toTemplateConfig(raw: Record<string, unknown>, index: number, baseDir: string): TemplateConfig {
  const field = `templates.${index}`;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (raw.source === undefined && raw.contents === undefined) throw new ConfigError(`${field}: needs "source" or "contents"`, { field, value: raw });
  if (raw.source !== undefined && raw.contents !== undefined) throw new ConfigError(`${field}: "source" and "contents" are mutually exclusive`, { field, value: raw });
  const guardRaw = (raw.guard ?? {}) as Record<string, unknown>;
  const destination = at(raw.destination as string);
  return {
    source: raw.source === undefined ? undefined : at(raw.source as string),
    contents: raw.contents as string | undefined,
    destination,
    validateCommand: raw.validateCommand as CommandSpec | undefined,
    reloadCommand: raw.reloadCommand as CommandSpec | undefined,
    commandTimeoutMs: parseDuration((raw.commandTimeout as string | number | undefined) ?? '30s', `${field}.commandTimeout`),
    perms: raw.perms === undefined ? undefined : parsePerms(raw.perms as string | number, `${field}.perms`),
    backup: (raw.backup as boolean | undefined) ?? false,
    createDestDirs: (raw.createDestDirs as boolean | undefined) ?? true,
    wait: raw.wait === undefined ? undefined : parseWait(raw.wait as string, `${field}.wait`),
    group: (raw.group as string | undefined) ?? `template:${destination}`,
    guard: {
      minInstances: (guardRaw.minInstances as number | undefined) ?? DEFAULT_GUARD.minInstances,
      maxDropFraction: (guardRaw.maxDropFraction as number | undefined) ?? DEFAULT_GUARD.maxDropFraction,
      dropHoldMs: guardRaw.dropHold === undefined ? DEFAULT_GUARD.dropHoldMs : parseDuration(guardRaw.dropHold as string, `${field}.guard.dropHold`),
      rejectEmptyUpstreams: (guardRaw.rejectEmptyUpstreams as boolean | undefined) ?? DEFAULT_GUARD.rejectEmptyUpstreams,
    },
    vars: (raw.vars as Record<string, unknown> | undefined) ?? {},
    upstreamPush: raw.upstreamPush === undefined ? undefined : toUpstreamPush(raw.upstreamPush as Record<string, unknown>, `${field}.upstreamPush`),
  };
}

function toUpstreamPush(raw: Record<string, unknown>, field: string): UpstreamPushConfig {
  const url = raw.url as string;
  try {
    new URL(url);
  } catch {
    throw new ConfigError(`${field}.url: not a URL: ${JSON.stringify(url)}`, { field: `${field}.url`, value: url });
  }
  const intervalMs = parseDuration((raw.interval as string | number | undefined) ?? '250ms', `${field}.interval`);
  if (intervalMs < 10) throw new ConfigError(`${field}.interval: at least 10ms, got ${String(raw.interval)}`, { field: `${field}.interval`, value: raw.interval });
  return {
    url,
    intervalMs,
    timeoutMs: parseDuration((raw.timeout as string | number | undefined) ?? '2s', `${field}.timeout`),
    checkLua: (raw.checkLua as boolean | undefined) ?? true,
    nginx: (raw.nginx as string | undefined) ?? 'nginx',
    luaModules: raw.luaModules as string[] | undefined,
  };
}

/** Validates a raw config object (file + overrides) into a RendererConfig; relative paths resolve against `baseDir`. */
export function resolveRendererConfig(raw: unknown, baseDir = process.cwd(), source = 'config'): RendererConfig {
  const data = validateWithSchema<Record<string, unknown>>(rendererConfigSchema, structuredClone(raw ?? {}), source);
  const consul = (data.consul ?? {}) as Record<string, unknown>;
  const ops = (data.ops ?? {}) as Record<string, unknown>;
  const templates = ((data.templates ?? []) as Record<string, unknown>[]).map((t, i) => toTemplateConfig(t, i, baseDir));
  const destinations = new Set<string>();
  for (const [i, t] of templates.entries()) {
    if (destinations.has(t.destination)) throw new ConfigError(`templates.${i}.destination: ${t.destination} is written by two templates`, { field: `templates.${i}.destination`, value: t.destination });
    destinations.add(t.destination);
  }
  return {
    consul: {
      address: consul.address as string | undefined,
      waitSeconds: (consul.waitSeconds as number | undefined) ?? 60,
      retryMaxMs: parseDuration((consul.retryMax as string | number | undefined) ?? '30s', 'consul.retryMax'),
    },
    wait: data.wait === undefined ? NO_WAIT : parseWait(data.wait as string, 'wait'),
    once: (data.once as boolean | undefined) ?? false,
    dryRun: (data.dryRun as boolean | undefined) ?? false,
    onceTimeoutMs: parseDuration((data.onceTimeout as string | number | undefined) ?? '30s', 'onceTimeout'),
    ops: { host: (ops.host as string | undefined) ?? '127.0.0.1', port: (ops.port as number | undefined) ?? 9465, enabled: (ops.enabled as boolean | undefined) ?? true },
    logLevel: (data.logLevel as string | undefined) ?? 'info',
    templates,
  };
}

/** Flags over the config file over defaults; `-template` entries are added after the file's templates. */
export function loadRendererConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { values, positionals } = parseFlags(argv, rendererFlags);
  if (positionals.length > 0) throw new ConfigError(`unexpected argument "${positionals[0]}"`, { field: 'argv', value: positionals[0] });
  const { configFile, templateFlags, help, noOps, ...overrides } = values as Record<string, unknown> & {
    configFile?: string;
    templateFlags?: string[];
    help?: boolean;
    noOps?: boolean;
  };
  let raw: Record<string, unknown> = {};
  if (configFile) {
    const fromFile = readJsonFile(configFile);
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
      throw new ConfigError(`config file ${configFile} must hold a JSON object`, { field: 'config', value: configFile });
    }
    raw = fromFile as Record<string, unknown>;
  }
  const nested = expandPaths(overrides);
  if (env.RENDERER_OPS_PORT && (nested.ops as Record<string, unknown> | undefined)?.port === undefined) {
    nested.ops = { ...(nested.ops as object), port: Number(env.RENDERER_OPS_PORT) };
  }
  if (noOps) nested.ops = { ...(nested.ops as object), enabled: false };
  const merged: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(nested)) {
    const prior = merged[key];
    merged[key] = typeof prior === 'object' && prior !== null && !Array.isArray(prior) && typeof value === 'object' && value !== null ? { ...prior, ...value } : value;
  }
  const fileTemplates = (raw.templates as unknown[] | undefined) ?? [];
  // Paths given on the command line are relative to the working directory, those in the file to the file.
  const flagTemplates = (templateFlags ?? []).map(parseTemplateFlag).map((t) => ({ ...t, source: resolve(t.source as string), destination: resolve(t.destination as string) }));
  merged.templates = [...fileTemplates, ...flagTemplates];
  const baseDir = configFile ? dirname(resolve(configFile)) : process.cwd();
  return { config: resolveRendererConfig(merged, baseDir, configFile ? `config (${configFile} and flags)` : 'flags'), help: help ?? false };
}
