// The config file's format: the JSON schema it is validated with, and the raw type a valid file has.

/** Durations are Go strings ("250ms", "10s", "1m") or milliseconds. */
export type RawDuration = string | number;
/** consul-template's `"min:max"`, or `{min, max}`. */
export type RawWait = string | { min: RawDuration; max?: RawDuration };

export interface RawGuard {
  minInstances?: number;
  maxDropFraction?: number;
  dropHold?: RawDuration;
  rejectEmptyUpstreams?: boolean;
}

export interface RawUpstreamPush {
  url: string;
  interval?: RawDuration;
  timeout?: RawDuration;
  checkLua?: boolean;
  nginx?: string;
  luaModules?: string[];
}

export interface RawTemplate {
  source?: string;
  contents?: string;
  destination: string;
  validateCommand?: string | string[];
  reloadCommand?: string | string[];
  commandTimeout?: RawDuration;
  perms?: string | number;
  backup?: boolean;
  createDestDirs?: boolean;
  wait?: RawWait;
  group?: string;
  guard?: RawGuard;
  vars?: Record<string, unknown>;
  upstreamPush?: RawUpstreamPush;
  /** Which language the template is in; default: by extension (.ctmpl, .tpl, .tmpl: go), else nunjucks. */
  engine?: 'go' | 'nunjucks';
  /** Go templates: consul-template's left_delimiter / right_delimiter / error_on_missing_key. */
  leftDelimiter?: string;
  rightDelimiter?: string;
  errorOnMissingKey?: boolean;
  /** Go templates: consul-template's function_denylist (names or `*` globs whose calls fail). */
  functionDenylist?: string[];
  /** consul-template's error_fatal: a template error stops the renderer (its `fatal` event) instead of keeping the last good file. */
  errorFatal?: boolean;
}

export interface RawRendererConfig {
  consul?: { address?: string; waitSeconds?: number; retryMax?: RawDuration; maxStale?: RawDuration };
  wait?: RawWait;
  once?: boolean;
  dryRun?: boolean;
  onceTimeout?: RawDuration;
  ops?: { host?: string; port?: number; enabled?: boolean };
  logLevel?: string;
  templates?: RawTemplate[];
}

const duration = { type: ['string', 'number'] };
const commandSchema = { oneOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }] };
const waitSchema = { oneOf: [{ type: 'string' }, { type: 'object', properties: { min: duration, max: duration }, required: ['min'], additionalProperties: false }] };

const templateSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: { type: 'string', minLength: 1 },
    contents: { type: 'string' },
    destination: { type: 'string', minLength: 1 },
    validateCommand: commandSchema,
    reloadCommand: commandSchema,
    commandTimeout: duration,
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
        dropHold: duration,
        rejectEmptyUpstreams: { type: 'boolean' },
      },
    },
    vars: { type: 'object' },
    engine: { type: 'string', enum: ['go', 'nunjucks'] },
    leftDelimiter: { type: 'string', minLength: 1 },
    rightDelimiter: { type: 'string', minLength: 1 },
    errorOnMissingKey: { type: 'boolean' },
    functionDenylist: { type: 'array', items: { type: 'string', minLength: 1 } },
    errorFatal: { type: 'boolean' },
    upstreamPush: {
      type: 'object',
      additionalProperties: false,
      properties: {
        url: { type: 'string', pattern: '^http://' },
        interval: duration,
        timeout: duration,
        checkLua: { type: 'boolean' },
        nginx: { type: 'string', minLength: 1 },
        luaModules: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
      required: ['url'],
    },
  },
  required: ['destination'],
};

/** The file format (and what flags merge into); a value that passes it has the type RawRendererConfig. */
export const rendererConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    consul: {
      type: 'object',
      additionalProperties: false,
      properties: { address: { type: 'string' }, waitSeconds: { type: 'number', minimum: 1, maximum: 600 }, retryMax: duration, maxStale: duration },
    },
    wait: waitSchema,
    once: { type: 'boolean' },
    dryRun: { type: 'boolean' },
    onceTimeout: duration,
    ops: {
      type: 'object',
      additionalProperties: false,
      properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 0, maximum: 65535 }, enabled: { type: 'boolean' } },
    },
    logLevel: { type: 'string', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
    templates: { type: 'array', items: templateSchema },
  },
};
