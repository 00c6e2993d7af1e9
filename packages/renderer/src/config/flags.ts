// consul-template-like flags over the JSON config file over the defaults: what `renderer` starts with. -help and
// -version are core's command-line convention (core/cli.ts), not flags of this list.

import { dirname, resolve } from 'node:path';
import { ConfigError, expandPaths, parseFlags, readJsonFile, type FlagSpec, type ParsedFlags } from '@consul-sidecars/core';
import { resolveRendererConfig } from './resolve';
import type { RendererConfig } from './types';
import { parseTemplateFlag } from './values';

export const rendererFlags: Record<string, FlagSpec> = {
  config: { type: 'string', path: 'configFile', description: 'JSON config file (templates, guard, commands)' },
  template: { type: 'list', path: 'templateFlags', description: '"source:destination[:reload command]" (repeatable)' },
  once: { type: 'boolean', description: 'render every template once, then exit (0 only when all rendered)' },
  dry: { type: 'boolean', path: 'dryRun', description: 'print what would be written; write, validate and reload nothing' },
  'dry-run': { type: 'boolean', aliasOf: 'dry', description: 'same as -dry' },
  wait: { type: 'string', description: 'quiescence "min[:max]", e.g. 2s:10s (never applied to the first render)' },
  'consul-addr': { type: 'string', path: 'consul.address', description: 'Consul agent address (default CONSUL_HTTP_ADDR or 127.0.0.1:8500)' },
  'once-timeout': { type: 'string', path: 'onceTimeout', description: 'with -once: give up after this long (default 30s)' },
  'ops-port': { type: 'number', path: 'ops.port', description: 'loopback port of /metrics and /health (0 = ephemeral; default 9465)' },
  'metrics-port': { type: 'number', aliasOf: 'ops-port', description: 'same as -ops-port (the other daemons\' spelling)' },
  'ops-host': { type: 'string', path: 'ops.host', description: 'address of /metrics and /health (default 127.0.0.1)' },
  'no-ops': { type: 'boolean', path: 'noOps', description: 'serve no /metrics and /health' },
  'log-level': { type: 'string', path: 'logLevel', description: 'trace|debug|info|warn|error' },
};

export interface CliOptions {
  config: RendererConfig;
}

/** A flag's value is wrong (`-wait abc`): the command line's fault, exit 2, where a bad config file is exit 78. */
export class FlagValueError extends ConfigError {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flags over the config file over defaults; `-template` entries are added after the file's templates. */
export function loadRendererConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  return rendererConfigFromFlags(parseFlags(argv, rendererFlags), env);
}

/** The same from flags already parsed (core's readCommandLine parsed them with `rendererFlags`). */
export function rendererConfigFromFlags({ values, positionals }: ParsedFlags, env: NodeJS.ProcessEnv = process.env): CliOptions {
  if (positionals.length > 0) throw new FlagValueError(`unexpected argument "${positionals[0]}"`, { field: 'argv', value: positionals[0] });
  const { configFile, templateFlags, noOps, ...overrides } = values;
  const file = typeof configFile === 'string' && configFile !== '' ? configFile : undefined;
  const nested = expandPaths(overrides);
  const opsOf = () => (isRecord(nested.ops) ? nested.ops : {});
  if (env.RENDERER_OPS_PORT && opsOf().port === undefined) nested.ops = { ...opsOf(), port: Number(env.RENDERER_OPS_PORT) };
  if (noOps === true) nested.ops = { ...opsOf(), enabled: false };
  // Paths given on the command line are relative to the working directory, those in the file to the file.
  let flagTemplates: ReturnType<typeof parseTemplateFlag>[];
  try {
    flagTemplates = (Array.isArray(templateFlags) ? templateFlags : [])
      .map((text) => parseTemplateFlag(String(text)))
      .map((t) => ({ ...t, source: resolve(t.source), destination: resolve(t.destination) }));
    // The flags alone first, so a bad flag value is told apart from a bad file.
    resolveRendererConfig({ ...nested, templates: flagTemplates }, process.cwd(), 'flags');
  } catch (err) {
    if (err instanceof ConfigError) throw new FlagValueError(err.message, err.details);
    throw err;
  }
  let raw: Record<string, unknown> = {};
  if (file) {
    const fromFile = readJsonFile(file);
    if (!isRecord(fromFile)) throw new ConfigError(`config file ${file} must hold a JSON object`, { field: 'config', value: file });
    raw = fromFile;
  }
  const merged: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(nested)) {
    const prior = merged[key];
    merged[key] = isRecord(prior) && isRecord(value) ? { ...prior, ...value } : value;
  }
  // A `templates` that is not a list is left for the schema to name.
  if (raw.templates === undefined || Array.isArray(raw.templates)) merged.templates = [...(raw.templates ?? []), ...flagTemplates];
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  return { config: resolveRendererConfig(merged, baseDir, file ? `config (${file} and flags)` : 'flags') };
}
