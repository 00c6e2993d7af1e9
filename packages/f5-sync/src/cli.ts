// `f5-sync --config <file> [--once] [--dry-run] [-ops-port <p>]`: the daemon's command line, by core's convention
// (help on stdout exit 0, -version, usage errors exit 2, config errors exit 78).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { armCrashPoint, createLogger, errorMessage, EXIT, helpText, installShutdown, runCommandLine, startOpsServer, type CommandLineSpec, type FlagSpec, type Logger, type OpsServer, type ParsedFlags } from '@consul-sidecars/core';
import { loadF5SyncConfig, type F5SyncConfig } from './config';
import { CRASH_POINT_NAMES } from './crash-points';
import { createF5Sync, type F5Sync } from './f5-sync';
import type { TargetCall } from './target/pool-target';

const FLAGS: Record<string, FlagSpec> = {
  config: { type: 'string', path: 'cli.config', description: 'JSON config file (pools, role tags, BIG-IP address; BIGIP_PASSWORD from the environment)' },
  once: { type: 'boolean', path: 'cli.once', description: 'one pass over every pool, then exit (0 converged, 1 failed, 3 a pool held)' },
  'dry-run': { type: 'boolean', path: 'cli.dryRun', description: 'plan and print the iControl calls (JSON lines on stdout); never write' },
  'ops-port': { type: 'number', path: 'metrics.port', description: 'serve /metrics and /health on 127.0.0.1:<port> (0 = any free port; F5_SYNC_OPS_PORT)' },
  'metrics-port': { type: 'number', aliasOf: 'ops-port' },
  'log-level': { type: 'string', path: 'logLevel', description: 'fatal, error, warn, info, debug, trace' },
  consul: { type: 'string', path: 'consul.address', description: 'Consul agent address (default CONSUL_HTTP_ADDR)' },
  'bigip-url': { type: 'string', path: 'bigip.url', description: 'BIG-IP management URL (default BIGIP_URL or the config file)' },
};

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** `--once` left a pool held by a guard: its own code, apart from usage errors (2). */
const ONCE_HELD = 3;

export const COMMAND_LINE: CommandLineSpec = {
  name: 'f5-sync',
  version: version(),
  usage: `usage: f5-sync --config <file> [--once] [--dry-run] [-ops-port <port>]

Exit codes: 0 ok (--once: converged), 1 --once: a pool failed, 2 a usage error, 3 --once: a pool held by
a guard, 78 the config file, environment or a flag value is invalid.`,
  flags: FLAGS,
};

export const USAGE = helpText(COMMAND_LINE);

interface CliSwitches {
  config?: string;
  once?: boolean;
  dryRun?: boolean;
}

class UsageError extends Error {}

function splitFlags(parsed: ParsedFlags): { switches: CliSwitches; overrides: Record<string, unknown> } {
  const { values } = parsed;
  const switches: CliSwitches = {};
  const overrides: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(values)) {
    if (path.startsWith('cli.')) (switches as Record<string, unknown>)[path.slice(4)] = value;
    else overrides[path] = value;
  }
  return { switches, overrides };
}

/** --dry-run output: one JSON line per planned call, on stdout (logs go to stderr then). */
function printCall(pool: string, call: TargetCall): void {
  process.stdout.write(`${JSON.stringify({ pool, method: call.method, path: call.path, ...(call.body === undefined ? {} : { body: call.body }) })}\n`);
}

async function runOnce(config: F5SyncConfig, logger: Logger, dryRun: boolean): Promise<number> {
  const f5 = createF5Sync(config, { logger, dryRun, printCall, useLeaderLock: false });
  try {
    const summary = await f5.loop.runOnce();
    for (const result of summary.results) {
      logger.info({ pool: result.pool, outcome: result.outcome, writes: result.writes, transaction: result.transaction, foreign: result.plan.foreign.length, draining: result.plan.draining }, 'pool pass');
    }
    for (const failure of summary.failed) logger.error(failure, 'pool pass failed');
    if (summary.failed.length > 0) return 1;
    if (summary.results.some((r) => r.outcome === 'held')) return ONCE_HELD;
    return 0;
  } finally {
    await f5.close();
  }
}

async function runDaemon(initial: F5SyncConfig, load: () => F5SyncConfig, logger: Logger, dryRun: boolean): Promise<void> {
  let config = initial;
  let f5: F5Sync = createF5Sync(config, { logger, dryRun, printCall });
  let ops: OpsServer | undefined;
  if (config.metrics.port !== undefined) {
    ops = await startOpsServer({
      registry: f5.metrics.registry,
      host: config.metrics.host,
      port: config.metrics.port,
      health: () => f5.loop.health(),
    });
    logger.info({ url: ops.url }, 'serving /metrics and /health');
  }
  installShutdown({
    logger,
    onShutdown: async () => {
      await f5.close();
      await ops?.close();
    },
    onReload: async () => {
      const next = load();
      // The registry is kept so /metrics keeps counting across reloads.
      // The old pools go along: a pool whose service or tag changed is held, not emptied, if the new source is empty.
      const replacement = createF5Sync(next, { logger, dryRun, printCall, metrics: f5.metrics, previousPools: config.pools });
      await f5.close();
      f5 = replacement;
      config = next;
      await f5.loop.start();
      logger.info({ pools: config.pools.length }, 'configuration reloaded');
    },
  });
  await f5.loop.start();
  logger.info({ pools: config.pools.length, dryRun }, 'f5-sync running');
}

/** Runs the command line; resolves with the exit code for --once, stays running (resolves undefined) as a daemon. */
async function run(parsed: ParsedFlags): Promise<number | undefined> {
  const { switches, overrides } = splitFlags(parsed);
  const load = () => loadF5SyncConfig({ file: switches.config, env: process.env, flags: overrides });
  const config = load();
  // With --dry-run, stdout carries the plan: logs go to stderr.
  const logger = createLogger({ name: 'f5-sync', level: config.logLevel, destination: switches.dryRun ? process.stderr : undefined });
  try {
    if (switches.once) {
      const code = await runOnce(config, logger, Boolean(switches.dryRun));
      logger.flush?.();
      return code;
    }
    await runDaemon(config, load, logger, Boolean(switches.dryRun));
    return undefined;
  } catch (err) {
    logger.fatal({ err: errorMessage(err), code: (err as { code?: string }).code }, 'f5-sync cannot run');
    logger.flush?.();
    throw err;
  }
}

export async function main(argv: string[]): Promise<void> {
  let daemon = false;
  const code = await runCommandLine(argv, COMMAND_LINE, async (parsed) => {
    try {
      // A crash point the catalogue does not know is a typo in the environment: a config error (78), naming it.
      armCrashPoint(process.env, CRASH_POINT_NAMES);
    } catch (err) {
      process.stderr.write(`f5-sync: ${errorMessage(err)}\n`);
      return EXIT.config;
    }
    try {
      if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
    } catch (err) {
      process.stderr.write(`f5-sync: ${errorMessage(err)}\nrun \`f5-sync -help\` for the flags\n`);
      return EXIT.usage;
    }
    const result = await run(parsed);
    daemon = result === undefined;
    return result ?? EXIT.ok;
  }).catch((err: unknown) => {
    process.stderr.write(`f5-sync: ${errorMessage(err)}\n`);
    return EXIT.failure;
  });
  if (daemon) return;
  process.exitCode = code;
  process.exit(code);
}
