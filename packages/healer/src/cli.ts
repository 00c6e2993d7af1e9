// `healer run` (the daemon, or one pass with -once), `healer check <service>` (a Nagios plugin: 0 OK, 1 WARNING,
// 2 CRITICAL, 3 UNKNOWN) and `healer validate`, by core's one command-line convention (cli.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError, EXIT, armCrashPoint, consulHttpClientFromEnv, createLogger, errorMessage, helpText, installShutdown,
  parseDuration, readCommandLine, runCommandLine, type CliIo, type CommandLineSpec, type FlagSpec, type ParsedFlags,
} from '@consul-sidecars/core';
import { CommandAlertSink, splitCommand } from './act/alert-hook';
import { ComposeBackend } from './backends/compose/compose-backend';
import { ComposeRunner } from './backends/compose/compose-runner';
import { defaultBackends } from './backends/registry';
import { CRASH_POINT_NAMES } from './crash-points';
import { DesiredStateSource } from './desired/desired-source';
import { checkDesiredStateOnHost } from './desired/desired-state';
import { DEFAULT_LEADER_KEY, DEFAULT_SCHEDULE, Healer } from './healer';
import { ConsulBackendReader } from './observe/reader';
import { summarise } from './pass-report';
import { assessService } from './plan/assess';
import { serviceState } from './plan/plan';
import { validateSchedule } from './triggers/cron-trigger';

export const DEFAULT_OPS_PORT = 9766;

export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const RUN_FLAGS: Record<string, FlagSpec> = {
  desired: { type: 'string', description: 'desired-state JSON file (required)' },
  'dry-run': { type: 'boolean', path: 'dryRun', description: 'plan and print; never act' },
  once: { type: 'boolean', description: 'one pass, then exit (0 ok, 1 a pass or action failed)' },
  schedule: { type: 'string', description: `cron expression of the periodic pass (default "${DEFAULT_SCHEDULE}"; "off" for none)` },
  'alert-command': { type: 'string', path: 'alertCommand', description: 'command run with each alert as JSON on stdin (split on spaces, no shell)' },
  'ops-port': { type: 'number', path: 'opsPort', description: `loopback port of /metrics, /health and POST /trigger (default HEALER_OPS_PORT or ${DEFAULT_OPS_PORT}; 0: ephemeral)` },
  'metrics-port': { type: 'number', aliasOf: 'ops-port' },
  consul: { type: 'string', description: 'Consul agent address (default CONSUL_HTTP_ADDR or 127.0.0.1:8500)' },
  'compose-command': { type: 'string', path: 'composeCommand', description: 'compose executable and leading args (default "docker-compose")' },
  'leader-key': { type: 'string', path: 'leaderKey', description: `KV key of the leader lock (default ${DEFAULT_LEADER_KEY})` },
  'leader-lock': { type: 'boolean', path: 'leaderLock', description: 'act only while holding the Consul lock (default true)' },
  'leader-ttl': { type: 'string', path: 'leaderTtl', description: "TTL of the leader lock's session (default 15s)" },
  'leader-lock-delay': { type: 'string', path: 'leaderLockDelay', description: 'lock-delay of the leader lock: how long a dead leader\'s lock stays unacquirable (default 15s)' },
  'leader-wait': { type: 'string', path: 'leaderWait', description: 'with -once: how long to wait for the lock before planning only (default 5s)' },
  'log-level': { type: 'string', path: 'logLevel', description: 'pino level (default info)' },
};

const CHECK_FLAGS: Record<string, FlagSpec> = {
  desired: RUN_FLAGS.desired,
  consul: RUN_FLAGS.consul,
};

const VALIDATE_FLAGS: Record<string, FlagSpec> = {
  desired: RUN_FLAGS.desired,
};

/** Usage lines spell every flag as the flag list does (`-name`); a test holds them to it. */
const USAGE_LINES = [
  '  healer [run] -desired <file> [-dry-run] [-once] [-schedule "* * * * *"|off] [-alert-command <cmd>] [-ops-port <port>]',
  '               [-consul <host:port>] [-compose-command <cmd>] [-leader-key <key>] [-leader-lock=false] [-leader-ttl 15s]',
  '               [-leader-lock-delay 15s] [-leader-wait 5s] [-log-level info]',
  '  healer check <service> -desired <file> [-consul <host:port>]',
  '               a Nagios plugin: prints one line; exit 0 OK, 1 WARNING (above max), 2 CRITICAL (below min),',
  '               3 UNKNOWN (not in the desired file, Consul unreachable, a bad command line or desired file)',
  '  healer validate -desired <file>   exit 0 valid, 78 invalid (the error names the field)',
  '  healer -version | -help',
  '',
  'exit codes of run: 0 ok (-once: the pass and its actions succeeded), 1 -once pass or action failed,',
  '  2 a bad command line, 78 an invalid desired file or environment (e.g. CONSUL_SIDECARS_CRASH_AT)',
];

export const RUN_SPEC: CommandLineSpec = { name: 'healer', version: version(), usage: `usage:\n${USAGE_LINES.join('\n')}\n\nrun flags:`, flags: RUN_FLAGS };
export const CHECK_SPEC: CommandLineSpec = { name: 'healer check', version: version(), usage: `usage:\n${USAGE_LINES[3]}\n${USAGE_LINES[4]}\n${USAGE_LINES[5]}\n\ncheck flags:`, flags: CHECK_FLAGS };
export const VALIDATE_SPEC: CommandLineSpec = { name: 'healer validate', version: version(), usage: `usage:\n${USAGE_LINES[6]}\n\nvalidate flags:`, flags: VALIDATE_FLAGS };

/** Nagios plugin exit codes (`healer check`). */
export const NAGIOS = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

interface RunValues {
  desired?: string;
  dryRun?: boolean;
  once?: boolean;
  schedule?: string;
  alertCommand?: string;
  opsPort?: number;
  consul?: string;
  composeCommand?: string;
  leaderKey?: string;
  leaderLock?: boolean;
  leaderWait?: string;
  leaderTtl?: string;
  leaderLockDelay?: string;
  logLevel?: string;
}

/** A command line that is wrong in a way the flag parser cannot see (a missing required flag, extra words): exit 2. */
class UsageError extends Error {}

function requireDesired(path: string | undefined, command: string): string {
  if (!path) throw new UsageError(`${command}: -desired <file> is required`);
  return path;
}

function noPositionals(flags: ParsedFlags, command: string): void {
  if (flags.positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${flags.positionals[0]}"`);
}

/** The ops port: the flag, else HEALER_OPS_PORT (the stack's setting), else the default; a bad value names its source. */
function opsPortOf(values: RunValues, env: NodeJS.ProcessEnv): number {
  if (values.opsPort !== undefined) {
    if (!Number.isInteger(values.opsPort) || values.opsPort < 0 || values.opsPort > 65535) throw new UsageError(`flag -ops-port: ${values.opsPort} is not a port (0..65535)`);
    return values.opsPort;
  }
  const text = env.HEALER_OPS_PORT;
  if (text === undefined || text === '') return DEFAULT_OPS_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new ConfigError(`HEALER_OPS_PORT="${text}" is not a port (0..65535)`, { field: 'HEALER_OPS_PORT', value: text });
  return port;
}

export async function runCommand(flags: ParsedFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  noPositionals(flags, 'healer run');
  const values = flags.values as RunValues;
  const desiredPath = requireDesired(values.desired, 'healer run');
  // Before anything acts: a misspelt crash point fails at start rather than never firing.
  armCrashPoint(env, CRASH_POINT_NAMES);
  const once = Boolean(values.once);
  const opsPort = once ? undefined : opsPortOf(values, env);
  const logger = createLogger({ name: 'healer', level: values.logLevel });
  const desired = new DesiredStateSource(desiredPath);
  desired.load();
  const schedule = values.schedule === 'off' ? false : validateSchedule(values.schedule ?? DEFAULT_SCHEDULE);
  const consul = consulHttpClientFromEnv(env, { address: values.consul });
  const runner = new ComposeRunner({ logger, command: values.composeCommand ? splitCommand(values.composeCommand) : undefined });
  const backends = { compose: new ComposeBackend({ runner, logger }) };
  const alerts = values.alertCommand ? new CommandAlertSink(splitCommand(values.alertCommand), logger) : undefined;
  const healer = new Healer({
    desired, consul, logger, backends, alerts,
    dryRun: values.dryRun,
    leaderLock: values.leaderLock,
    leaderKey: values.leaderKey,
    ...(values.leaderTtl ? { leaderTtl: values.leaderTtl } : {}),
    ...(values.leaderLockDelay ? { leaderLockDelay: values.leaderLockDelay } : {}),
    schedule: once ? false : schedule,
    watchHealth: !once,
    opsPort,
    debounceMs: once ? 0 : 200,
    passOnElection: !once,
  });

  if (once) {
    await healer.start();
    try {
      const waitMs = values.leaderWait ? parseDuration(values.leaderWait, 'leader-wait') : 5000;
      const leader = await healer.awaitLeadership(waitMs);
      if (!leader) logger.warn({ waitedMs: waitMs }, 'another healer holds the lock: planning only');
      const report = await healer.trigger('once');
      process.stdout.write(`${JSON.stringify(summarise(report), null, 2)}\n`);
      return report.error || report.actions.some((a) => !a.ok) ? EXIT.failure : EXIT.ok;
    } finally {
      await healer.stop();
    }
  }

  await healer.start();
  await new Promise<void>((resolve) => {
    installShutdown({
      logger,
      onShutdown: async () => {
        await healer.stop();
        resolve();
      },
      // An invalid file is logged (naming the field), counted and alerted by the healer, which keeps the
      // last good state: throwing here would kill the daemon from inside the signal handler.
      onReload: () => void healer.reload(),
    });
    // Only now: "started" means SIGTERM and SIGHUP are handled.
    logger.info({ desired: desired.path, services: desired.current.services.map((s) => s.name), dryRun: Boolean(values.dryRun), schedule, opsPort }, 'healer started');
  });
  return EXIT.ok;
}

/**
 * `healer check <service>`: one Nagios status line on stdout. UNKNOWN (3) when the state cannot be told: the service is
 * not desired, Consul does not answer, the command line or the desired file is bad; never CRITICAL for those.
 */
export async function checkCommand(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const unknown = (why: string): number => {
    io.stdout(`UNKNOWN - ${why}\n`);
    return NAGIOS.unknown;
  };
  let line;
  try {
    line = readCommandLine(argv, CHECK_SPEC);
  } catch (err) {
    io.stderr(`healer check: ${errorMessage(err)}\nrun \`healer check -help\` for the flags\n`);
    return unknown(`bad command line: ${errorMessage(err)}`);
  }
  if (line.kind !== 'run') {
    io.stdout(line.text);
    return NAGIOS.ok;
  }
  const { values, positionals } = line.flags;
  if (positionals.length !== 1) return unknown(`expected one service name, got ${positionals.length} (usage: healer check <service> -desired <file>)`);
  if (!values.desired) return unknown('-desired <file> is required');
  const name = positionals[0];
  try {
    const desired = new DesiredStateSource(values.desired as string).load();
    const spec = desired.services.find((s) => s.name === name);
    if (!spec) return unknown(`service ${name} is not in the desired-state file ${values.desired as string}`);
    const consul = consulHttpClientFromEnv(env, { address: values.consul as string | undefined });
    try {
      const live = await new ConsulBackendReader({ consul, backends: defaultBackends() }).observe({ ...desired, services: [spec] });
      const serviceLive = live.services[name];
      if (serviceLive.consulError) return unknown(`${name}: cannot read consul: ${serviceLive.consulError}`);
      const assessment = assessService(spec, serviceLive, Date.now());
      const state = serviceState(spec, assessment.healthy);
      const bounds = `min ${spec.min}${spec.max !== undefined ? `, max ${spec.max}` : ''}`;
      const word = state === 'passing' ? 'OK' : state.toUpperCase();
      io.stdout(`${name}: ${word} - ${assessment.healthy} healthy (${bounds})${assessment.starting ? `, ${assessment.starting} starting` : ''}\n`);
      return state === 'passing' ? NAGIOS.ok : state === 'warning' ? NAGIOS.warning : NAGIOS.critical;
    } finally {
      consul.close();
    }
  } catch (err) {
    return unknown(errorMessage(err));
  }
}

export async function validateCommand(flags: ParsedFlags): Promise<number> {
  noPositionals(flags, 'healer validate');
  const path = requireDesired(flags.values.desired as string | undefined, 'healer validate');
  const desired = new DesiredStateSource(path).load();
  checkDesiredStateOnHost(desired, `desired-state file ${path}`);
  process.stdout.write(`ok: ${desired.services.map((s) => `${s.name} (min ${s.min}${s.max !== undefined ? `, max ${s.max}` : ''})`).join(', ')}\n`);
  return EXIT.ok;
}

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Wraps a command: its UsageError is exit 2 with the usage hint, as core's convention has it for the flag parser's. */
function withUsage(name: string, io: CliIo, command: (flags: ParsedFlags) => Promise<number>): (flags: ParsedFlags) => Promise<number> {
  return async (flags) => {
    try {
      return await command(flags);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      io.stderr(`${err.message}\nrun \`${name} -help\` for the flags\n`);
      return EXIT.usage;
    }
  };
}

/** The bin: resolves with the exit code (main exits with it). */
export async function runHealer(argv: readonly string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(`healer: no command\n${helpText(RUN_SPEC)}`);
    return EXIT.usage;
  }
  if (first === 'check') return checkCommand(rest, io, env);
  if (first === 'validate') return runCommandLine(rest, VALIDATE_SPEC, withUsage('healer validate', io, validateCommand), io);
  if (first === 'run' || first.startsWith('-')) {
    return runCommandLine(first === 'run' ? rest : argv, RUN_SPEC, withUsage('healer', io, (flags) => runCommand(flags, env)), io);
  }
  io.stderr(`healer: unknown command "${first}"\nrun \`healer -help\` for the commands\n`);
  return EXIT.usage;
}

export async function main(argv: string[]): Promise<void> {
  const code = await runHealer(argv);
  // Flush stdio first; exit explicitly so open handles (sockets) cannot keep a one-shot command alive.
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}
