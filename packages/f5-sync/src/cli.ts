// `f5-sync --config <file> [--once] [--dry-run] [--metrics-port <p>]`: the daemon's command line.

import { createLogger, describeFlags, errorMessage, installShutdown, parseFlags, startOpsServer, type FlagSpec, type Logger, type OpsServer } from '@consul-sidecars/core';
import { loadF5SyncConfig, type F5SyncConfig } from './config';
import { createF5Sync, type F5Sync } from './f5-sync';
import type { TargetCall } from './target/pool-target';

const FLAGS: Record<string, FlagSpec> = {
  config: { type: 'string', path: 'cli.config', description: 'JSON config file (pools, role tags, BIG-IP address; BIGIP_PASSWORD from the environment)' },
  once: { type: 'boolean', path: 'cli.once', description: 'one pass over every pool, then exit (0 converged, 1 failed, 2 a pool held)' },
  'dry-run': { type: 'boolean', path: 'cli.dryRun', description: 'plan and print the iControl calls (JSON lines on stdout); never write' },
  'metrics-port': { type: 'number', path: 'metrics.port', description: 'serve /metrics and /health on 127.0.0.1:<port> (0 = any free port)' },
  'log-level': { type: 'string', path: 'logLevel', description: 'fatal, error, warn, info, debug, trace' },
  consul: { type: 'string', path: 'consul.address', description: 'Consul agent address (default CONSUL_HTTP_ADDR)' },
  'bigip-url': { type: 'string', path: 'bigip.url', description: 'BIG-IP management URL (default BIGIP_URL or the config file)' },
  help: { type: 'boolean', path: 'cli.help', description: 'show this help' },
};

export const USAGE = `usage: f5-sync --config <file> [--once] [--dry-run] [--metrics-port <port>]\n\n${describeFlags(FLAGS)}\n`;

interface CliSwitches {
  config?: string;
  once?: boolean;
  dryRun?: boolean;
  help?: boolean;
}

function splitFlags(argv: string[]): { switches: CliSwitches; overrides: Record<string, unknown> } {
  const { values, positionals } = parseFlags(argv, FLAGS);
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"\n${USAGE}`);
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
    if (summary.results.some((r) => r.outcome === 'held')) return 2;
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

export async function main(argv: string[]): Promise<void> {
  let logger: Logger | undefined;
  try {
    const { switches, overrides } = splitFlags(argv);
    if (switches.help) {
      process.stdout.write(USAGE);
      return;
    }
    const load = () => loadF5SyncConfig({ file: switches.config, env: process.env, flags: overrides });
    const config = load();
    // With --dry-run, stdout carries the plan: logs go to stderr.
    logger = createLogger({ name: 'f5-sync', level: config.logLevel, destination: switches.dryRun ? process.stderr : undefined });
    if (switches.once) {
      const code = await runOnce(config, logger, Boolean(switches.dryRun));
      logger.flush?.();
      process.exit(code);
    }
    await runDaemon(config, load, logger, Boolean(switches.dryRun));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (logger) logger.fatal({ err: errorMessage(err), code }, 'f5-sync cannot run');
    else process.stderr.write(`f5-sync: ${errorMessage(err)}\n`);
    process.exit(code === 'ERR_CONFIG' ? 78 : 1);
  }
}
