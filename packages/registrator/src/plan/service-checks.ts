// Consul checks for one service from SERVICE_CHECK_* keys, a Docker HEALTHCHECK and -ttl: every form given, not just one.

import { describeSource, type ServiceMetadata } from './container-metadata';
import type { CheckDefinition, CheckStatus, TtlStatus } from './registration';

export const DEFAULT_CHECK_INTERVAL = '10s';
const GO_DURATION = /^(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/;
const STATUSES = new Set(['passing', 'warning', 'critical']);

export interface CheckContext {
  serviceId: string;
  serviceName: string;
  address: string;
  port: number;
  containerId: string;
  exposedPort: string;
  /** State.Health.Status when the container has a HEALTHCHECK. */
  dockerHealth?: string;
  hasHealthcheck: boolean;
  /** TTL of the check fed from Docker health events (Go duration). */
  healthTtl: string;
  /** -ttl in seconds: adds a TTL check registrator passes every -ttl-refresh. */
  ttlSeconds?: number;
}

export interface CheckWarning {
  /** `label SERVICE_CHECK_INTERVAL` or `env ...`. */
  source: string;
  message: string;
  /** 'error': a check the labels ask for is not registered. */
  severity?: 'error';
}

export interface ServiceChecks {
  checks: CheckDefinition[];
  ttlStatuses: TtlStatus[];
  warnings: CheckWarning[];
}

export function isGoDuration(value: string): boolean {
  return GO_DURATION.test(value.trim());
}

/** A valid Go duration of zero length ("0", "0s", "0m0s", "0.0s"): Consul refuses it as a check Interval or TTL (HTTP 400). */
export function isZeroDuration(value: string): boolean {
  return isGoDuration(value) && !/[1-9]/.test(value);
}

/** host:port, with brackets around an IPv6 address. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Splits a command line into argv the way a POSIX shell would (quotes and backslashes), without running one. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else current += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) current += command[++i];
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      current += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Docker health -> Consul status. "starting" is not yet healthy, so it is not routed to. */
export function dockerHealthStatus(health: string | undefined): CheckStatus {
  if (health === 'healthy') return 'passing';
  return 'critical';
}

export function buildChecks(metadata: ServiceMetadata, ctx: CheckContext): ServiceChecks {
  const values = metadata.values;
  const warnings: CheckWarning[] = [];
  const where = (key: string) => describeSource(metadata.sources.get(key), key);
  const duration = (key: string): string | undefined => {
    const value = values.get(key);
    if (value === undefined || value === '') return undefined;
    if (isGoDuration(value)) return value.trim();
    warnings.push({ source: where(key), message: `invalid duration "${value}" (want e.g. 10s, 1m30s); ignored` });
    return undefined;
  };
  // A zero interval would make Consul refuse the whole registration (400, "Interval must be > 0"): the checks that run
  // on an interval are left out instead, and the service is registered without them.
  const rawInterval = duration('check_interval');
  const zeroInterval = rawInterval !== undefined && isZeroDuration(rawInterval);
  const interval = zeroInterval ? DEFAULT_CHECK_INTERVAL : rawInterval ?? DEFAULT_CHECK_INTERVAL;
  const timeout = duration('check_timeout');
  const deregisterAfter = duration('check_deregister_after');
  let initialStatus: CheckStatus | undefined;
  const rawStatus = values.get('check_initial_status');
  if (rawStatus) {
    if (STATUSES.has(rawStatus)) initialStatus = rawStatus as CheckStatus;
    else warnings.push({ source: where('check_initial_status'), message: `invalid initial status "${rawStatus}" (passing, warning or critical); ignored` });
  }
  const target = hostPort(ctx.address, ctx.port);
  const common = (): Partial<CheckDefinition> => ({
    ...(initialStatus ? { status: initialStatus } : {}),
    ...(deregisterAfter ? { deregisterCriticalServiceAfter: deregisterAfter } : {}),
  });
  const checks: CheckDefinition[] = [];
  const id = (kind: string) => `service:${ctx.serviceId}:${kind}`;

  for (const scheme of ['http', 'https'] as const) {
    const path = values.get(`check_${scheme}`);
    if (!path) continue;
    const method = values.get(`check_${scheme}_method`) || undefined;
    const url = `${scheme}://${target}${path}`;
    checks.push({
      checkId: id(scheme), name: `${scheme.toUpperCase()} ${method ?? 'GET'} ${url}`, http: url, interval,
      ...(method ? { method } : {}), ...(timeout ? { timeout } : {}), ...common(),
    });
  }
  if (values.get('check_tcp')) {
    checks.push({ checkId: id('tcp'), name: `TCP ${target}`, tcp: target, interval, ...(timeout ? { timeout } : {}), ...common() });
  }
  if (values.get('check_grpc')) {
    const useTls = Boolean(values.get('check_grpc_use_tls'));
    checks.push({
      checkId: id('grpc'), name: `gRPC ${target}`, grpc: target, interval, ...(timeout ? { timeout } : {}),
      ...(useTls ? { grpcUseTls: true } : {}), ...(useTls && values.get('check_tls_skip_verify') ? { tlsSkipVerify: true } : {}), ...common(),
    });
  }
  const script = values.get('check_script');
  if (script) {
    // gliderlabs sent the whole interpolated string as one argv element; split it like a shell would.
    const interpolated = script.replaceAll('$SERVICE_IP', ctx.address).replaceAll('$SERVICE_PORT', String(ctx.port));
    const args = shellWords(interpolated);
    if (args.length === 0) warnings.push({ source: where('check_script'), message: 'empty script; ignored' });
    else checks.push({ checkId: id('script'), name: `Script ${interpolated}`, args, interval, ...(timeout ? { timeout } : {}), ...common() });
  }
  const cmd = values.get('check_cmd');
  if (cmd) {
    checks.push({
      checkId: id('cmd'), name: `Command ${cmd}`, args: ['check-cmd', ctx.containerId.slice(0, 12), ctx.exposedPort, cmd], interval,
      ...(timeout ? { timeout } : {}), ...common(),
    });
  }
  if (zeroInterval) {
    const dropped = checks.splice(0);
    if (dropped.length > 0) {
      warnings.push({
        source: where('check_interval'),
        severity: 'error',
        message: `check interval "${values.get('check_interval')}" is zero, which Consul refuses; registered without the ${dropped.map((c) => c.checkId.slice(c.checkId.lastIndexOf(':') + 1)).join(', ')} check${dropped.length > 1 ? 's' : ''}`,
      });
    }
  }
  const ttl = duration('check_ttl');
  if (ttl && isZeroDuration(ttl)) {
    warnings.push({ source: where('check_ttl'), severity: 'error', message: `check TTL "${values.get('check_ttl')}" is zero, which Consul refuses; registered without the ttl check` });
  } else if (ttl) {
    checks.push({ checkId: id('ttl'), name: `TTL ${ttl}`, ttl, ...common() });
  }

  const ttlStatuses: TtlStatus[] = [];
  if (ctx.hasHealthcheck) {
    const status = dockerHealthStatus(ctx.dockerHealth);
    const output = `docker health: ${ctx.dockerHealth ?? 'unknown'}`;
    checks.push({
      checkId: id('docker-health'), name: 'Docker HEALTHCHECK', ttl: ctx.healthTtl, status, notes: 'fed by registrator from Docker health_status events',
      ...(deregisterAfter ? { deregisterCriticalServiceAfter: deregisterAfter } : {}),
    });
    ttlStatuses.push({ checkId: id('docker-health'), status, output });
  }
  if (ctx.ttlSeconds && ctx.ttlSeconds > 0) {
    checks.push({
      checkId: id('registrator-ttl'), name: 'registrator heartbeat', ttl: `${ctx.ttlSeconds}s`, status: 'passing',
      notes: 'passed by registrator every -ttl-refresh; critical when registrator stops',
      ...(deregisterAfter ? { deregisterCriticalServiceAfter: deregisterAfter } : {}),
    });
    ttlStatuses.push({ checkId: id('registrator-ttl'), status: 'passing', output: 'registrator is running' });
  }
  return { checks, ttlStatuses, warnings };
}
