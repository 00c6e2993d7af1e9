// `healer run` (the daemon, or one pass with --once) and `healer check <service>` (a Consul check script: exit 0/1/2).

import {
  ConfigError, consulHttpClientFromEnv, createLogger, describeFlags, errorMessage, installShutdown,
  parseDuration, parseFlags, type FlagSpec,
} from '@consul-sidecars/core';
import { CommandAlertSink, splitCommand } from './act/alert-hook';
import { ComposeBackend } from './backends/compose/compose-backend';
import { ComposeRunner } from './backends/compose/compose-runner';
import { defaultBackends } from './backends/registry';
import { DesiredStateSource } from './desired/desired-source';
import { checkDesiredStateOnHost } from './desired/desired-state';
import { DEFAULT_LEADER_KEY, DEFAULT_SCHEDULE, Healer } from './healer';
import { ConsulBackendReader } from './observe/reader';
import { summarise } from './pass-report';
import { assessService } from './plan/assess';
import { serviceState } from './plan/plan';
import { validateSchedule } from './triggers/cron-trigger';

export const DEFAULT_OPS_PORT = 9766;

const RUN_FLAGS: Record<string, FlagSpec> = {
  desired: { type: 'string', description: 'desired-state JSON file (required)' },
  'dry-run': { type: 'boolean', path: 'dryRun', description: 'plan and print; never act' },
  once: { type: 'boolean', description: 'one pass, then exit (0 ok, 1 a pass or action failed)' },
  schedule: { type: 'string', description: `cron expression of the periodic pass (default "${DEFAULT_SCHEDULE}"; "off" for none)` },
  'alert-command': { type: 'string', path: 'alertCommand', description: 'command run with each alert as JSON on stdin (split on spaces, no shell)' },
  'metrics-port': { type: 'number', path: 'metricsPort', description: `loopback port of /metrics, /health and POST /trigger (default ${DEFAULT_OPS_PORT}; 0: ephemeral)` },
  consul: { type: 'string', description: 'Consul agent address (default CONSUL_HTTP_ADDR or 127.0.0.1:8500)' },
  'compose-command': { type: 'string', path: 'composeCommand', description: 'compose executable and leading args (default "docker-compose")' },
  'leader-key': { type: 'string', path: 'leaderKey', description: `KV key of the leader lock (default ${DEFAULT_LEADER_KEY})` },
  'leader-lock': { type: 'boolean', path: 'leaderLock', description: 'act only while holding the Consul lock (default true)' },
  'leader-ttl': { type: 'string', path: 'leaderTtl', description: "TTL of the leader lock's session (default 15s)" },
  'leader-lock-delay': { type: 'string', path: 'leaderLockDelay', description: 'lock-delay of the leader lock: how long a dead leader\'s lock stays unacquirable (default 15s)' },
  'leader-wait': { type: 'string', path: 'leaderWait', description: 'with --once: how long to wait for the lock before planning only (default 5s)' },
  'log-level': { type: 'string', path: 'logLevel', description: 'pino level (default info)' },
  help: { type: 'boolean' },
};

const CHECK_FLAGS: Record<string, FlagSpec> = {
  desired: RUN_FLAGS.desired,
  consul: RUN_FLAGS.consul,
  help: { type: 'boolean' },
};

const USAGE = `usage:
  healer run --desired <file> [--dry-run] [--once] [--schedule "*/1 * * * *"] [--alert-command <cmd>] [--metrics-port <p>]
  healer check <service> --desired <file>     (prints the state; exits 0 passing, 1 warning, 2 critical)
  healer validate --desired <file>

run flags:
${describeFlags(RUN_FLAGS)}`;

interface RunValues {
  desired?: string;
  dryRun?: boolean;
  once?: boolean;
  schedule?: string;
  alertCommand?: string;
  metricsPort?: number;
  consul?: string;
  composeCommand?: string;
  leaderKey?: string;
  leaderLock?: boolean;
  leaderWait?: string;
  leaderTtl?: string;
  leaderLockDelay?: string;
  logLevel?: string;
  help?: boolean;
}

function requireDesired(path: string | undefined): string {
  if (!path) throw new ConfigError('--desired <file> is required', { field: 'desired' });
  return path;
}

export async function runCommand(argv: string[]): Promise<number> {
  const values = parseFlags(argv, RUN_FLAGS).values as RunValues;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const logger = createLogger({ name: 'healer', level: values.logLevel });
  const desired = new DesiredStateSource(requireDesired(values.desired));
  desired.load();
  const schedule = values.schedule === 'off' ? false : validateSchedule(values.schedule ?? DEFAULT_SCHEDULE);
  const consul = consulHttpClientFromEnv(process.env, { address: values.consul });
  const runner = new ComposeRunner({ logger, command: values.composeCommand ? splitCommand(values.composeCommand) : undefined });
  const backends = { compose: new ComposeBackend({ runner, logger }) };
  const alerts = values.alertCommand ? new CommandAlertSink(splitCommand(values.alertCommand), logger) : undefined;
  const once = Boolean(values.once);
  const healer = new Healer({
    desired, consul, logger, backends, alerts,
    dryRun: values.dryRun,
    leaderLock: values.leaderLock,
    leaderKey: values.leaderKey,
    ...(values.leaderTtl ? { leaderTtl: values.leaderTtl } : {}),
    ...(values.leaderLockDelay ? { leaderLockDelay: values.leaderLockDelay } : {}),
    schedule: once ? false : schedule,
    watchHealth: !once,
    opsPort: once ? undefined : (values.metricsPort ?? (process.env.HEALER_OPS_PORT ? Number(process.env.HEALER_OPS_PORT) : DEFAULT_OPS_PORT)),
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
      return report.error || report.actions.some((a) => !a.ok) ? 1 : 0;
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
    logger.info({ desired: desired.path, services: desired.current.services.map((s) => s.name), dryRun: Boolean(values.dryRun), schedule }, 'healer started');
  });
  return 0;
}

export async function checkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, CHECK_FLAGS);
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 3;
  }
  const name = positionals[0];
  const desired = new DesiredStateSource(requireDesired(values.desired as string | undefined)).load();
  const spec = desired.services.find((s) => s.name === name);
  if (!spec) throw new ConfigError(`service ${name} is not in the desired-state file`, { field: 'service', value: name });
  const consul = consulHttpClientFromEnv(process.env, { address: values.consul as string | undefined });
  const live = await new ConsulBackendReader({ consul, backends: defaultBackends() }).observe({ ...desired, services: [spec] });
  const serviceLive = live.services[name];
  if (serviceLive.consulError) {
    process.stdout.write(`${name}: CRITICAL - cannot read consul: ${serviceLive.consulError}\n`);
    return 2;
  }
  const assessment = assessService(spec, serviceLive, Date.now());
  const state = serviceState(spec, assessment.healthy);
  const bounds = `min ${spec.min}${spec.max !== undefined ? `, max ${spec.max}` : ''}`;
  process.stdout.write(`${name}: ${state.toUpperCase()} - ${assessment.healthy} healthy (${bounds})${assessment.starting ? `, ${assessment.starting} starting` : ''}\n`);
  return state === 'passing' ? 0 : state === 'warning' ? 1 : 2;
}

export async function validateCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, CHECK_FLAGS);
  const path = requireDesired(values.desired as string | undefined);
  const desired = new DesiredStateSource(path).load();
  checkDesiredStateOnHost(desired, `desired-state file ${path}`);
  process.stdout.write(`ok: ${desired.services.map((s) => `${s.name} (min ${s.min}${s.max !== undefined ? `, max ${s.max}` : ''})`).join(', ')}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  const command = first === undefined || first.startsWith('-') ? 'run' : first;
  const args = command === first ? rest : argv;
  let code: number;
  try {
    if (command === 'run') code = await runCommand(args);
    else if (command === 'check') code = await checkCommand(args);
    else if (command === 'validate') code = await validateCommand(args);
    else {
      process.stderr.write(`unknown command ${command}\n${USAGE}\n`);
      code = 3;
    }
  } catch (err) {
    process.stderr.write(`healer: ${errorMessage(err)}\n`);
    // A Consul check script: anything but 0/1 is critical; config errors say so plainly.
    code = command === 'check' ? 2 : err instanceof ConfigError ? 2 : 1;
  }
  process.exit(code);
}
