// Command-line options, parsed the way gliderlabs' Go `flag` does, validated once into a typed RegistratorConfig.

import os from 'node:os';
import { ConfigError, parseFlags, type FlagSpec, type ParsedFlags } from '@consul-sidecars/core';
import type { DeregisterMode } from './plan/service-definitions';
import { DEFAULT_ROLE_PREFIX } from './role-keys';

export interface RegistryAddress {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

export interface RegistratorConfig {
  registry: RegistryAddress;
  /** The original URI, for logs. */
  registryUri: string;
  hostname: string;
  ip?: string;
  internal: boolean;
  explicit: boolean;
  useIpFromLabel?: string;
  tags: string[];
  ttl: number;
  ttlRefresh: number;
  resync: number;
  deregister: DeregisterMode;
  retryAttempts: number;
  retryIntervalMs: number;
  cleanup: boolean;
  deregisterOnExit: boolean;
  /** -ops-port (or REGISTRATOR_OPS_PORT): /metrics and /health on 127.0.0.1:<port>; undefined: not served. */
  opsPort?: number;
  once: boolean;
  dryRun: boolean;
  roles: boolean;
  rolePrefix: string;
  healthTtl: number;
  /** -label-filter key[=value]: only containers carrying this label are considered. */
  labelFilter?: { key: string; value?: string };
  logLevel?: string;
}

/** A command-line mistake: the process prints usage and exits with code 2, as Go's flag package does. */
export class UsageError extends ConfigError {
  constructor(message: string, details: { field?: string; value?: unknown } = {}) {
    super(message, { ...details, source: 'flags' });
    this.name = 'UsageError';
  }
}

export const FLAGS: Record<string, FlagSpec> = {
  ip: { type: 'string', description: 'IP for ports mapped to the host (default: detected host IP)' },
  internal: { type: 'boolean', description: 'Use internal ports instead of published ones' },
  explicit: { type: 'boolean', description: 'Only register containers which have SERVICE_NAME label set' },
  useIpFromLabel: { type: 'string', description: 'Use IP which is stored in a label assigned to the container' },
  ttl: { type: 'number', description: 'TTL (seconds) of a heartbeat check on every service (0: none)' },
  'ttl-refresh': { type: 'number', description: 'Frequency (seconds) with which the TTL check is passed' },
  tags: { type: 'string', description: 'Append tags for all registered services (comma separated)' },
  resync: { type: 'number', description: 'Frequency (seconds) of a full reconcile (0: only at start and after reconnects)' },
  deregister: { type: 'string', description: 'Deregister exited services "always", "on-success" or "never"' },
  'retry-attempts': { type: 'number', description: 'Startup connection attempts to Consul (-1: no startup check, retry forever in the loop)' },
  'retry-interval': { type: 'number', description: 'Interval (ms) between startup connection attempts' },
  cleanup: { type: 'boolean', description: 'Also adopt and clean services the original registrator left on this host (no ownership marker)' },
  hostname: { type: 'string', description: 'Host name used in service IDs and the ownership marker (default: os hostname)' },
  'deregister-on-exit': { type: 'boolean', description: 'Deregister every owned service on SIGTERM/SIGINT before exiting' },
  'ops-port': { type: 'number', description: 'Serve /metrics and /health on 127.0.0.1:<port> (0: a free port; default $REGISTRATOR_OPS_PORT)' },
  'metrics-port': { type: 'number', aliasOf: 'ops-port' },
  once: { type: 'boolean', description: 'Reconcile once and exit (exit code 1 if a write failed)' },
  'dry-run': { type: 'boolean', description: 'Plan and log the writes, never write to Consul' },
  roles: { type: 'boolean', description: 'Watch runtime role tags in Consul KV (default true; -roles=false disables)' },
  'role-prefix': { type: 'string', description: `Consul KV prefix of runtime roles (default ${DEFAULT_ROLE_PREFIX})` },
  'health-ttl': { type: 'number', description: 'TTL (seconds) of the check fed from a Docker HEALTHCHECK (default 90; refreshed every third)' },
  'label-filter': { type: 'string', description: 'Only consider containers with this label (key or key=value); others are left alone' },
  'log-level': { type: 'string', description: 'trace, debug, info, warn, error' },
};

/** The registry URI must be the last word: options after it are positionals, as with Go's flag package. */
export const PARSE_OPTIONS = { stopAtFirstPositional: true } as const;

function opsPort(values: Record<string, unknown>, env: NodeJS.ProcessEnv): number | undefined {
  const valid = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
  const flag = values['ops-port'] as number | undefined;
  if (flag !== undefined) {
    if (!valid(flag)) throw new UsageError(`-ops-port must be a port number (got ${flag})`, { field: 'ops-port', value: flag });
    return flag;
  }
  const text = env.REGISTRATOR_OPS_PORT;
  if (text === undefined || text === '') return undefined;
  // An environment value is configuration, not the command line: a ConfigError (exit 78), naming the variable.
  if (!/^\d+$/.test(text) || !valid(Number(text))) throw new ConfigError(`REGISTRATOR_OPS_PORT must be a port number (got "${text}")`, { field: 'REGISTRATOR_OPS_PORT', value: text, source: 'env' });
  return Number(text);
}

/** consul://host:port (http) or consul-tls://host:port (https); the other gliderlabs backends are refused by name. */
/** The address core's Consul settings take (`http://host:port`, IPv6 hosts bracketed). */
export function consulAddress(address: RegistryAddress): string {
  return `${address.scheme}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

export function parseRegistryUri(uri: string): RegistryAddress {
  const match = /^([a-z0-9+-]+):\/\/(.*)$/i.exec(uri);
  if (!match) throw new UsageError(`registry URI "${uri}" is not of the form consul://host:port`, { field: 'registry', value: uri });
  const scheme = match[1].toLowerCase();
  if (scheme !== 'consul' && scheme !== 'consul-tls') {
    throw new UsageError(`unsupported registry "${scheme}://" (this registrator speaks consul:// and consul-tls://)`, { field: 'registry', value: uri });
  }
  const hostPart = match[2].replace(/\/.*$/, '');
  const secure = scheme === 'consul-tls';
  if (!hostPart) return { scheme: secure ? 'https' : 'http', host: '127.0.0.1', port: secure ? 8501 : 8500 };
  let url: URL;
  try {
    url = new URL(`http://${hostPart}`);
  } catch {
    throw new UsageError(`registry URI "${uri}": invalid host "${hostPart}"`, { field: 'registry', value: uri });
  }
  return { scheme: secure ? 'https' : 'http', host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : secure ? 8501 : 8500 };
}

function nonNegative(values: Record<string, unknown>, name: string, fallback: number): number {
  const v = values[name] as number | undefined;
  if (v === undefined) return fallback;
  if (v < 0) throw new UsageError(`-${name} must not be negative (got ${v})`, { field: name, value: v });
  return v;
}

/** Parses argv (without the program name) into a config; throws UsageError for anything gliderlabs would refuse. */
export function parseRegistratorArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RegistratorConfig {
  let parsed;
  try {
    parsed = parseFlags(argv, FLAGS, PARSE_OPTIONS);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return registratorConfig(parsed, env);
}

/** Parsed flags (FLAGS) -> the validated config; UsageError for a bad flag value, ConfigError for a bad environment value. */
export function registratorConfig(parsed: ParsedFlags, env: NodeJS.ProcessEnv = process.env): RegistratorConfig {
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing the registry URI (e.g. consul://127.0.0.1:8500)' : `exactly one registry URI expected, got ${positionals.length} arguments (options must come before it)`);
  }
  const deregister = (values.deregister as string | undefined) ?? 'always';
  if (!['always', 'on-success', 'never'].includes(deregister)) {
    throw new UsageError(`-deregister must be "always", "on-success" or "never" (got "${deregister}")`, { field: 'deregister', value: deregister });
  }
  const ttl = nonNegative(values, 'ttl', 0);
  const ttlRefresh = nonNegative(values, 'ttl-refresh', 0);
  if (ttl > 0 && ttlRefresh === 0) throw new UsageError('-ttl-refresh must be set together with -ttl', { field: 'ttl-refresh' });
  if (ttlRefresh > 0 && ttl === 0) throw new UsageError('-ttl must be set together with -ttl-refresh', { field: 'ttl' });
  if (ttl > 0 && ttl <= ttlRefresh) throw new UsageError('-ttl must be greater than -ttl-refresh', { field: 'ttl', value: ttl });
  const retryInterval = (values['retry-interval'] as number | undefined) ?? 2000;
  if (retryInterval <= 0) throw new UsageError('-retry-interval must be greater than 0', { field: 'retry-interval', value: retryInterval });
  const tagsFlag = (values.tags as string | undefined) ?? '';
  if (tagsFlag.includes('{{')) throw new UsageError('-tags: Go templates are not supported; give a comma-separated list', { field: 'tags', value: tagsFlag });
  // The image's HEALTHCHECK reads REGISTRATOR_OPS_PORT; the flag wins when both are given.
  const ops = opsPort(values, env);
  const healthTtl = (values['health-ttl'] as number | undefined) ?? 90;
  if (healthTtl < 3) throw new UsageError('-health-ttl must be at least 3 seconds', { field: 'health-ttl', value: healthTtl });
  const filterText = (values['label-filter'] as string | undefined) || undefined;
  const labelFilter = filterText === undefined ? undefined : filterText.includes('=')
    ? { key: filterText.slice(0, filterText.indexOf('=')), value: filterText.slice(filterText.indexOf('=') + 1) }
    : { key: filterText };
  if (labelFilter && !labelFilter.key) throw new UsageError('-label-filter needs a label key', { field: 'label-filter', value: filterText });
  const hostname = (values.hostname as string | undefined) || env.REGISTRATOR_HOSTNAME || os.hostname();
  return {
    registry: parseRegistryUri(positionals[0]),
    registryUri: positionals[0],
    hostname,
    ip: (values.ip as string | undefined) || undefined,
    internal: Boolean(values.internal),
    explicit: Boolean(values.explicit),
    useIpFromLabel: (values.useIpFromLabel as string | undefined) || undefined,
    tags: tagsFlag.split(',').map((t) => t.trim()).filter(Boolean),
    ttl,
    ttlRefresh,
    resync: nonNegative(values, 'resync', 0),
    deregister: deregister as DeregisterMode,
    retryAttempts: (values['retry-attempts'] as number | undefined) ?? -1,
    retryIntervalMs: retryInterval,
    cleanup: Boolean(values.cleanup),
    deregisterOnExit: Boolean(values['deregister-on-exit']),
    opsPort: ops,
    once: Boolean(values.once),
    dryRun: Boolean(values['dry-run']),
    roles: values.roles === undefined ? true : Boolean(values.roles),
    rolePrefix: (values['role-prefix'] as string | undefined) ?? DEFAULT_ROLE_PREFIX,
    healthTtl,
    labelFilter,
    logLevel: values['log-level'] as string | undefined,
  };
}
