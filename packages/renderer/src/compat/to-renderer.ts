// A consul-template configuration mapped onto the renderer's: its JSON config-file object (validated by the
// renderer itself), the Consul environment, the exec supervisor's options and the process-level settings.

import { isAbsolute, resolve } from 'node:path';
import type { CtCommand, CtConfig, CtEnv, CtTemplate } from './ct-config';
import { commandArgv, type SignalName } from './ct-values';

/** What `exec {}` asks for, with consul-template's defaults filled in (config/exec.go). */
export interface ExecPlan {
  /** argv as consul-template runs it: a string with spaces through `sh -c`. */
  argv: string[];
  /** null: no reload signal, so a change restarts the child (consul-template's default). */
  reloadSignal: SignalName | null;
  killSignal: SignalName;
  killTimeoutMs: number;
  splayMs: number;
  env: CtEnv;
}

/** Settings of the renderer process itself, which its JSON config file does not carry. */
export interface ProcessPlan {
  pidFile?: string;
  /** The renderer stops on this signal (default SIGINT); SIGTERM stops it too, as every daemon here. */
  killSignal: SignalName;
  /** The renderer reloads its templates on this signal (default SIGHUP). */
  reloadSignal: SignalName;
  maxStaleMs: number;
  retry: { enabled: boolean; attempts: number; backoffMs: number; maxBackoffMs: number };
}

export interface CompatPlan {
  /** An object in the renderer's JSON config-file format: pass it to resolveRendererConfig (which validates it). */
  rendererConfig: Record<string, unknown>;
  /** CONSUL_HTTP_* variables from `consul { token, ssl }`: lay them over process.env for core's consulSettingsFromEnv. */
  consulEnv: Record<string, string>;
  exec?: ExecPlan;
  process: ProcessPlan;
  /** Settings accepted whose effect differs from consul-template's: log each once at start. */
  notes: string[];
}

export interface CompatOptions {
  /** consul-template resolves relative template paths against its working directory. */
  cwd?: string;
}

const LOG_LEVELS: Record<string, string> = { trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', err: 'error', error: 'error', off: 'silent' };

function withDefined(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

/** consul-template's command list form as the renderer's CommandSpec: strings stay strings (sh -c), lists stay lists. */
function commandSpec(command: CtCommand | undefined): string | string[] | undefined {
  if (command === undefined) return undefined;
  if (Array.isArray(command)) return command.length === 0 || (command.length === 1 && command[0] === '') ? undefined : command;
  return command === '' ? undefined : command;
}

function templateToRenderer(t: CtTemplate, cwd: string, globalErrorFatal: boolean | undefined): Record<string, unknown> {
  const at = (p: string | undefined) => (p === undefined || p === '' ? undefined : isAbsolute(p) ? p : resolve(cwd, p));
  const source = at(t.source);
  // consul-template reads every file as a Go template, whatever its name (a .njk too): only the renderer's own
  // `engine` key chooses nunjucks.
  const engine = t.engine ?? 'go';
  const timeout = t.exec?.timeout ?? t.command_timeout;
  return withDefined({
    source,
    contents: t.contents === '' ? undefined : t.contents,
    destination: at(t.destination),
    engine,
    reloadCommand: commandSpec(t.exec?.command ?? t.command),
    commandTimeout: timeout?.text,
    perms: t.perms,
    backup: t.backup,
    createDestDirs: t.create_dest_dirs,
    wait: t.wait ? withDefined({ min: t.wait.min.text, max: t.wait.max?.text }) : undefined,
    // Only what differs from Go's defaults, so a template that does not change them needs no Go-only key.
    leftDelimiter: t.left_delimiter && t.left_delimiter !== '{{' ? t.left_delimiter : undefined,
    rightDelimiter: t.right_delimiter && t.right_delimiter !== '}}' ? t.right_delimiter : undefined,
    errorOnMissingKey: t.error_on_missing_key || undefined,
    functionDenylist: t.function_denylist?.length ? t.function_denylist : undefined,
    // config.Finalize: a template's error_fatal, else template_error_fatal, else true.
    errorFatal: t.error_fatal ?? globalErrorFatal ?? true,
    validateCommand: commandSpec(t.validate_command),
    group: t.batch_group,
    // consul-template writes a render whose services have no instance: so does the renderer here (minInstances 0),
    // unless guard { min_instances } says otherwise. Validation and the empty-upstream check still apply.
    guard: withDefined({
          minInstances: t.guard?.min_instances ?? 0,
          maxDropFraction: t.guard?.max_drop_fraction,
          dropHold: t.guard?.drop_hold?.text,
          rejectEmptyUpstreams: t.guard?.reject_empty_upstreams,
        }),
    vars: t.vars,
    upstreamPush: t.upstream_push
      ? withDefined({
          url: t.upstream_push.url,
          interval: t.upstream_push.interval?.text,
          timeout: t.upstream_push.timeout?.text,
          checkLua: t.upstream_push.check_lua,
          nginx: t.upstream_push.nginx,
          luaModules: t.upstream_push.lua_modules,
        })
      : undefined,
  });
}

function consulEnvOf(config: CtConfig): Record<string, string> {
  const consul = config.consul ?? {};
  const ssl = consul.ssl;
  const env: Record<string, string> = {};
  if (consul.token) env.CONSUL_HTTP_TOKEN = consul.token;
  if (consul.token_file) env.CONSUL_HTTP_TOKEN_FILE = consul.token_file;
  if (ssl) {
    // As consul-template's SSLConfig.Finalize: any TLS setting turns TLS on unless `enabled` says otherwise.
    const enabled = ssl.enabled ?? Boolean(ssl.cert || ssl.key || ssl.ca_cert || ssl.server_name || ssl.verify !== undefined);
    env.CONSUL_HTTP_SSL = String(enabled);
    if (enabled) {
      env.CONSUL_HTTP_SSL_VERIFY = String(ssl.verify ?? true);
      if (ssl.ca_cert) env.CONSUL_CACERT = ssl.ca_cert;
      if (ssl.cert) env.CONSUL_CLIENT_CERT = ssl.cert;
      if (ssl.key) env.CONSUL_CLIENT_KEY = ssl.key;
      if (ssl.server_name) env.CONSUL_TLS_SERVER_NAME = ssl.server_name;
    }
  }
  return env;
}

/**
 * What consul-template puts in front of the child's custom env (runner.go childEnv): its Consul settings, so they
 * reach the child even with `pristine` or a denylist.
 */
function consulChildEnv(config: CtConfig): string[] {
  const consul = config.consul ?? {};
  const ssl = consul.ssl ?? {};
  const enabled = ssl.enabled ?? Boolean(ssl.cert || ssl.key || ssl.ca_cert || ssl.server_name || ssl.verify !== undefined);
  const out: string[] = [];
  if (consul.address) out.push(`CONSUL_HTTP_ADDR=${consul.address}`);
  if (consul.token) out.push(`CONSUL_HTTP_TOKEN=${consul.token}`);
  if (consul.token_file) out.push(`CONSUL_HTTP_TOKEN_FILE=${consul.token_file}`);
  out.push(`CONSUL_HTTP_SSL=${enabled}`, `CONSUL_HTTP_SSL_VERIFY=${ssl.verify ?? true}`);
  return out;
}

function execOf(config: CtConfig): ExecPlan | undefined {
  const exec = config.exec;
  const command = commandSpec(exec?.command);
  if (!exec || command === undefined || exec.enabled === false) return undefined;
  const env = exec.env ?? {};
  return {
    argv: commandArgv(command),
    // SIGNULL ("") is a reload that sends nothing, not a restart: kept as consul-template has it.
    reloadSignal: exec.reload_signal ?? null,
    killSignal: exec.kill_signal ?? 'SIGINT',
    killTimeoutMs: exec.kill_timeout?.ms ?? 30_000,
    splayMs: exec.splay?.ms ?? 0,
    env: { ...env, custom: [...consulChildEnv(config), ...(env.custom ?? [])] },
  };
}

/** Maps a merged consul-template configuration (files + flags) onto the renderer's settings. Pure. */
export function planCompatConfig(config: CtConfig, options: CompatOptions = {}): CompatPlan {
  const cwd = options.cwd ?? process.cwd();
  const notes: string[] = [];
  const retry = config.consul?.retry;
  const consul = withDefined({
    address: config.consul?.address || undefined,
    retryMax: retry?.max_backoff?.text,
    waitSeconds: config.block_query_wait ? Math.min(600, Math.max(1, Math.round(config.block_query_wait.ms / 1000))) : undefined,
    maxStale: config.max_stale?.text ?? '2s',
  });
  const logLevel = config.log_level === undefined ? undefined : LOG_LEVELS[config.log_level.toLowerCase()];
  if (config.log_level !== undefined && logLevel === undefined) notes.push(`log_level "${config.log_level}" is not a level the renderer knows; using info`);
  if (retry?.attempts !== undefined || retry?.enabled === false) notes.push('consul.retry: the renderer retries Consul forever with backoff (capped by max_backoff) and keeps the last good files; consul-template exits after `attempts`');
  const rendererConfig = withDefined({
    consul: Object.keys(consul).length ? consul : undefined,
    wait: config.wait ? withDefined({ min: config.wait.min.text, max: config.wait.max?.text }) : undefined,
    logLevel,
    once: config.once,
    onceTimeout: config.once_timeout?.text,
    ops: config.ops ? withDefined({ ...config.ops }) : undefined,
    templates: (config.template ?? []).map((t) => templateToRenderer(t, cwd, config.template_error_fatal)),
  });
  return {
    rendererConfig,
    consulEnv: consulEnvOf(config),
    exec: execOf(config),
    process: {
      pidFile: config.pid_file || undefined,
      killSignal: config.kill_signal ?? 'SIGINT',
      reloadSignal: config.reload_signal ?? 'SIGHUP',
      maxStaleMs: config.max_stale?.ms ?? 2_000,
      retry: {
        enabled: retry?.enabled ?? true,
        attempts: retry?.attempts ?? 12,
        backoffMs: retry?.backoff?.ms ?? 250,
        maxBackoffMs: retry?.max_backoff?.ms ?? 60_000,
      },
    },
    notes,
  };
}
