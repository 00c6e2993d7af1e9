// consul-template's command line (cli.go) as a pure parser: flags become a CtConfig merged over the -config files.

import { ConfigError, describeFlags, parseFlags, type FlagSpec } from '@consul-sidecars/core';
import type { CtConfig, CtDuration, CtTemplate } from './ct-config';
import { parseGoDuration, parseSignal, ValueProblem } from './ct-values';
import { EXIT_CODES } from './exit-codes';

export const CT_FLAGS: Record<string, FlagSpec> = {
  config: { type: 'list', description: 'config file or directory (repeatable; later ones win)' },
  template: { type: 'list', description: '"source:destination[:command]" (repeatable)' },
  'consul-addr': { type: 'string', description: 'Consul agent address' },
  'consul-token': { type: 'string', description: 'ACL token (also CONSUL_HTTP_TOKEN)' },
  'consul-token-file': { type: 'string', description: 'file holding the ACL token' },
  'consul-ssl': { type: 'boolean', description: 'talk to Consul over TLS' },
  'consul-ssl-verify': { type: 'boolean', description: 'verify the agent certificate (default true)' },
  'consul-ssl-ca-cert': { type: 'string', description: 'CA certificate (PEM)' },
  'consul-ssl-cert': { type: 'string', description: 'client certificate (PEM)' },
  'consul-ssl-key': { type: 'string', description: 'client key (PEM)' },
  'consul-ssl-server-name': { type: 'string', description: 'TLS server name (SNI)' },
  'consul-retry': { type: 'boolean', description: 'retry failed Consul queries' },
  'consul-retry-attempts': { type: 'number', description: 'retry attempts (0 = forever)' },
  'consul-retry-backoff': { type: 'string', description: 'first retry backoff' },
  'consul-retry-max-backoff': { type: 'string', description: 'retry backoff ceiling' },
  exec: { type: 'string', description: 'supervise this command: started after the first complete render' },
  'exec-kill-signal': { type: 'string', description: 'signal that stops the child (default SIGINT)' },
  'exec-kill-timeout': { type: 'string', description: 'wait this long after the kill signal, then SIGKILL (default 30s)' },
  'exec-reload-signal': { type: 'string', description: 'signal sent to the child on a change (default: restart it)' },
  'exec-splay': { type: 'string', description: 'random delay up to this before reload/kill signals' },
  'kill-signal': { type: 'string', description: 'signal that stops the renderer (default SIGINT)' },
  'reload-signal': { type: 'string', description: 'signal that reloads config and templates (default SIGHUP)' },
  'pid-file': { type: 'string', description: 'write the process id here' },
  'max-stale': { type: 'string', description: 'maximum staleness of Consul reads' },
  wait: { type: 'string', description: 'quiescence "min[:max]"' },
  'log-level': { type: 'string', description: 'trace|debug|info|warn|err' },
  once: { type: 'boolean', description: 'render once and exit' },
  dry: { type: 'boolean', description: 'print to stdout, write nothing' },
  'template-error-fatal': { type: 'boolean', description: 'exit on a template error (default true)' },
  'parse-only': { type: 'boolean', description: 'parse the templates and exit' },
  v: { type: 'boolean', path: 'version', description: 'print the version and exit' },
  version: { type: 'boolean', description: 'print the version and exit' },
  h: { type: 'boolean', path: 'help', description: 'show this help' },
  help: { type: 'boolean', description: 'show this help' },
  // the renderer's own
  'once-timeout': { type: 'string', description: 'with -once, give up after this long (default 30s)' },
  'dry-run': { type: 'boolean', path: 'dry', description: 'same as -dry' },
  'ops-port': { type: 'number', description: 'loopback port of /metrics and /health (0 = ephemeral; default 9465)' },
  'metrics-port': { type: 'number', aliasOf: 'ops-port', description: 'same as -ops-port' },
  'no-ops': { type: 'boolean', description: 'serve no /metrics and /health' },
};

export interface CtCommandLine {
  /** -config paths in the order given. */
  configPaths: string[];
  /** The flags as a configuration, merged over the files (flags win, -template entries come after the files'). */
  flagConfig: CtConfig;
  once: boolean;
  dry: boolean;
  parseOnly: boolean;
  version: boolean;
  help: boolean;
}

/** A flag that could not be read: exit with EXIT_CODES.parseFlags. */
export class CtFlagError extends ConfigError {
  readonly exitCode = EXIT_CODES.parseFlags;
}

/**
 * `-template "in:out:command"`: split on colons that are not part of a Windows drive (consul-template's
 * configTemplateRe); a third part and beyond is the command, colons included.
 */
export function parseTemplateArgument(text: string): CtTemplate {
  if (text.trim() === '') throw new CtFlagError('-template: empty template', { field: 'template', value: text });
  const parts = text.split(':');
  const [source, destination, ...rest] = parts;
  const command = rest.join(':');
  const out: CtTemplate = { origin: `-template ${text}` };
  if (source) out.source = source;
  if (destination) out.destination = destination;
  if (command) out.command = command;
  return out;
}

/** Parses consul-template's argv (without the program name). Pure: reads no file. */
export function parseCtCommandLine(argv: readonly string[]): CtCommandLine {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseFlags(argv, CT_FLAGS, { stopAtFirstPositional: true }));
  } catch (err) {
    throw new CtFlagError((err as Error).message, { source: 'flags' });
  }
  if (positionals.length > 0) throw new CtFlagError(`unexpected argument "${positionals[0]}"`, { field: 'argv', value: positionals[0] });
  const str = (name: string) => values[name] as string | undefined;
  const bool = (name: string) => values[name] as boolean | undefined;
  const duration = (name: string): CtDuration | undefined => {
    const text = str(name);
    if (text === undefined) return undefined;
    try {
      return { text, ms: parseGoDuration(text) };
    } catch (err) {
      throw new CtFlagError(`-${name}: ${(err as Error).message}`, { field: name, value: text });
    }
  };
  const signal = (name: string) => {
    const text = str(name);
    if (text === undefined) return undefined;
    try {
      return parseSignal(text);
    } catch (err) {
      if (err instanceof ValueProblem) throw new CtFlagError(`-${name}: ${err.message}`, { field: name, value: text });
      throw err;
    }
  };
  const c: CtConfig = {};
  const consul: NonNullable<CtConfig['consul']> = {};
  if (str('consul-addr') !== undefined) consul.address = str('consul-addr');
  if (str('consul-token') !== undefined) consul.token = str('consul-token');
  if (str('consul-token-file') !== undefined) consul.token_file = str('consul-token-file');
  const ssl: NonNullable<NonNullable<CtConfig['consul']>['ssl']> = {};
  if (bool('consul-ssl') !== undefined) ssl.enabled = bool('consul-ssl');
  if (bool('consul-ssl-verify') !== undefined) ssl.verify = bool('consul-ssl-verify');
  for (const [flag, key] of [['consul-ssl-ca-cert', 'ca_cert'], ['consul-ssl-cert', 'cert'], ['consul-ssl-key', 'key'], ['consul-ssl-server-name', 'server_name']] as const) {
    if (str(flag) !== undefined) ssl[key] = str(flag);
  }
  if (Object.keys(ssl).length) consul.ssl = ssl;
  const retry: NonNullable<NonNullable<CtConfig['consul']>['retry']> = {};
  if (bool('consul-retry') !== undefined) retry.enabled = bool('consul-retry');
  if (values['consul-retry-attempts'] !== undefined) {
    const n = values['consul-retry-attempts'] as number;
    if (!Number.isInteger(n) || n < 0) throw new CtFlagError(`-consul-retry-attempts: want a whole number, got ${n}`, { field: 'consul-retry-attempts', value: n });
    retry.attempts = n;
  }
  if (str('consul-retry-backoff') !== undefined) retry.backoff = duration('consul-retry-backoff');
  if (str('consul-retry-max-backoff') !== undefined) retry.max_backoff = duration('consul-retry-max-backoff');
  if (Object.keys(retry).length) consul.retry = retry;
  if (Object.keys(consul).length) c.consul = consul;

  const templates = ((values.template as string[] | undefined) ?? []).map(parseTemplateArgument);
  if (templates.length) c.template = templates;

  const exec: NonNullable<CtConfig['exec']> = {};
  if (str('exec') !== undefined) {
    exec.enabled = true;
    exec.command = str('exec');
  }
  if (str('exec-kill-signal') !== undefined) exec.kill_signal = signal('exec-kill-signal');
  if (str('exec-kill-timeout') !== undefined) exec.kill_timeout = duration('exec-kill-timeout');
  if (str('exec-reload-signal') !== undefined) exec.reload_signal = signal('exec-reload-signal');
  if (str('exec-splay') !== undefined) exec.splay = duration('exec-splay');
  if (Object.keys(exec).length) c.exec = exec;

  if (str('kill-signal') !== undefined) c.kill_signal = signal('kill-signal');
  if (str('reload-signal') !== undefined) c.reload_signal = signal('reload-signal');
  if (str('pid-file') !== undefined) c.pid_file = str('pid-file');
  if (str('max-stale') !== undefined) c.max_stale = duration('max-stale');
  if (str('log-level') !== undefined) c.log_level = str('log-level');
  if (bool('template-error-fatal') !== undefined) c.template_error_fatal = bool('template-error-fatal');
  if (str('once-timeout') !== undefined) c.once_timeout = duration('once-timeout');
  const ops: NonNullable<CtConfig['ops']> = {};
  if (values['ops-port'] !== undefined) ops.port = values['ops-port'] as number;
  if (bool('no-ops') === true) ops.enabled = false;
  if (Object.keys(ops).length) c.ops = ops;
  const wait = str('wait');
  if (wait !== undefined) {
    const [min, max, extra] = wait.split(':');
    if (extra !== undefined || !min) throw new CtFlagError(`-wait: invalid "${wait}" (want min or min:max)`, { field: 'wait', value: wait });
    try {
      const minD = { text: min, ms: parseGoDuration(min) };
      const maxD = max === undefined ? undefined : { text: max, ms: parseGoDuration(max) };
      if (maxD && maxD.ms < minD.ms) throw new ValueProblem(`max (${max}) is less than min (${min})`);
      c.wait = { min: minD, max: maxD };
    } catch (err) {
      throw new CtFlagError(`-wait: ${(err as Error).message}`, { field: 'wait', value: wait });
    }
  }
  return {
    configPaths: (values.config as string[] | undefined) ?? [],
    flagConfig: c,
    once: bool('once') ?? false,
    dry: bool('dry') ?? false,
    parseOnly: bool('parse-only') ?? false,
    version: bool('version') ?? false,
    help: bool('help') ?? false,
  };
}

export function ctUsage(program = 'renderer'): string {
  return `Usage: ${program} [options]\n\n  Watches Consul and renders templates (consul-template's flags).\n\nOptions:\n${describeFlags(CT_FLAGS)}\n\nExit codes (consul-template's): 0 ok, 11 error, 12 interrupted, 13 bad flags, 14 runner error (a template error with -template-error-fatal), 15 bad config; with -exec, the child's own code.\n`;
}
