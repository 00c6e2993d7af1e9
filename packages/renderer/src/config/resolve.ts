// A raw config (file + flags) validated with the schema into a RendererConfig, every default from defaults.ts.

import { isAbsolute, resolve } from 'node:path';
import { ConfigError, parseDuration, validateWithSchema } from '@consul-sidecars/core';
import { DEFAULTS, GO_TEMPLATE_EXTENSIONS } from './defaults';
import type { RawRendererConfig, RawTemplate, RawUpstreamPush } from './schema';
import validateRendererConfig from './schema-validator.generated';
import type { GuardConfig, RendererConfig, TemplateConfig, UpstreamPushConfig } from './types';
import { parsePerms, parseWait } from './values';

function toGuard(raw: RawTemplate['guard'] = {}, field: string): GuardConfig {
  const defaults = DEFAULTS.template.guard;
  return {
    minInstances: raw.minInstances ?? defaults.minInstances,
    maxDropFraction: raw.maxDropFraction ?? defaults.maxDropFraction,
    dropHoldMs: raw.dropHold === undefined ? defaults.dropHoldMs : parseDuration(raw.dropHold, `${field}.dropHold`),
    rejectEmptyUpstreams: raw.rejectEmptyUpstreams ?? defaults.rejectEmptyUpstreams,
  };
}

function toUpstreamPush(raw: RawUpstreamPush, field: string): UpstreamPushConfig {
  const defaults = DEFAULTS.upstreamPush;
  try {
    new URL(raw.url);
  } catch {
    throw new ConfigError(`${field}.url: not a URL: ${JSON.stringify(raw.url)}`, { field: `${field}.url`, value: raw.url });
  }
  const intervalMs = parseDuration(raw.interval ?? defaults.interval, `${field}.interval`);
  if (intervalMs < defaults.minIntervalMs) throw new ConfigError(`${field}.interval: at least ${defaults.minIntervalMs}ms, got ${String(raw.interval)}`, { field: `${field}.interval`, value: raw.interval });
  return {
    url: raw.url,
    intervalMs,
    timeoutMs: parseDuration(raw.timeout ?? defaults.timeout, `${field}.timeout`),
    checkLua: raw.checkLua ?? defaults.checkLua,
    nginx: raw.nginx ?? defaults.nginx,
    luaModules: raw.luaModules,
  };
}

/** `engine` given, else by the source's extension (consul-template's .ctmpl/.tpl/.tmpl); Go-only keys need go. */
function toEngine(raw: RawTemplate, field: string): Pick<TemplateConfig, 'engine' | 'leftDelimiter' | 'rightDelimiter' | 'errorOnMissingKey' | 'functionDenylist'> {
  const engine = raw.engine ?? (raw.source !== undefined && GO_TEMPLATE_EXTENSIONS.test(raw.source) ? 'go' : 'nunjucks');
  if (engine !== 'go') {
    for (const key of ['leftDelimiter', 'rightDelimiter', 'errorOnMissingKey', 'functionDenylist'] as const) {
      if (raw[key] !== undefined) throw new ConfigError(`${field}.${key}: only Go templates take it (this template's engine is nunjucks)`, { field: `${field}.${key}`, value: raw[key] });
    }
  }
  return { engine, leftDelimiter: raw.leftDelimiter, rightDelimiter: raw.rightDelimiter, errorOnMissingKey: raw.errorOnMissingKey ?? false, functionDenylist: raw.functionDenylist ?? [] };
}

function toTemplateConfig(raw: RawTemplate, index: number, baseDir: string): TemplateConfig {
  const field = `templates.${index}`;
  const defaults = DEFAULTS.template;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  if (raw.source === undefined && raw.contents === undefined) throw new ConfigError(`${field}: needs "source" or "contents"`, { field, value: raw });
  if (raw.source !== undefined && raw.contents !== undefined) throw new ConfigError(`${field}: "source" and "contents" are mutually exclusive`, { field, value: raw });
  const destination = at(raw.destination);
  return {
    source: raw.source === undefined ? undefined : at(raw.source),
    contents: raw.contents,
    destination,
    validateCommand: raw.validateCommand,
    reloadCommand: raw.reloadCommand,
    commandTimeoutMs: parseDuration(raw.commandTimeout ?? defaults.commandTimeout, `${field}.commandTimeout`),
    perms: raw.perms === undefined ? undefined : parsePerms(raw.perms, `${field}.perms`),
    backup: raw.backup ?? defaults.backup,
    createDestDirs: raw.createDestDirs ?? defaults.createDestDirs,
    errorFatal: raw.errorFatal ?? defaults.errorFatal,
    wait: raw.wait === undefined ? undefined : parseWait(raw.wait, `${field}.wait`),
    group: raw.group ?? defaults.group(destination),
    guard: toGuard(raw.guard, `${field}.guard`),
    vars: raw.vars ?? {},
    upstreamPush: raw.upstreamPush === undefined ? undefined : toUpstreamPush(raw.upstreamPush, `${field}.upstreamPush`),
    ...toEngine(raw, field),
  };
}

/** Validates a raw config object (file + overrides) into a RendererConfig; relative paths resolve against `baseDir`. */
export function resolveRendererConfig(raw: unknown, baseDir = process.cwd(), source = 'config'): RendererConfig {
  const data = validateWithSchema<RawRendererConfig>(validateRendererConfig, structuredClone(raw ?? {}), source);
  const consul = data.consul ?? {};
  const ops = data.ops ?? {};
  const templates = (data.templates ?? []).map((t, i) => toTemplateConfig(t, i, baseDir));
  const destinations = new Set<string>();
  for (const [i, t] of templates.entries()) {
    if (destinations.has(t.destination)) throw new ConfigError(`templates.${i}.destination: ${t.destination} is written by two templates`, { field: `templates.${i}.destination`, value: t.destination });
    destinations.add(t.destination);
  }
  return {
    consul: {
      address: consul.address,
      waitSeconds: consul.waitSeconds ?? DEFAULTS.consul.waitSeconds,
      retryMaxMs: parseDuration(consul.retryMax ?? DEFAULTS.consul.retryMax, 'consul.retryMax'),
      maxStaleMs: parseDuration(consul.maxStale ?? 0, 'consul.maxStale'),
    },
    wait: data.wait === undefined ? DEFAULTS.wait : parseWait(data.wait, 'wait'),
    once: data.once ?? DEFAULTS.once,
    dryRun: data.dryRun ?? DEFAULTS.dryRun,
    onceTimeoutMs: parseDuration(data.onceTimeout ?? DEFAULTS.onceTimeout, 'onceTimeout'),
    ops: { host: ops.host ?? DEFAULTS.ops.host, port: ops.port ?? DEFAULTS.ops.port, enabled: ops.enabled ?? DEFAULTS.ops.enabled },
    logLevel: data.logLevel ?? DEFAULTS.logLevel,
    templates,
  };
}
