// `renderer` in consul-template's mode: its flags and config files, its exit codes, its exec mode, its signals.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError, consulHttpClientFromEnv, createLogger, errorMessage, type ConsulHttpClient, type Logger, type OpsServer } from '@consul-sidecars/core';
import { logOnceReport, serveOps } from './cli-steps';
import { ctUsage, CtFlagError, EXIT_CODES, ExecMode, loadCompatInvocation, routeSignal, type CompatInvocation, type SignalName } from './compat';
import { resolveRendererConfig, type RendererConfig } from './config';
import { Runner } from './runner';

/** The signals the renderer listens to in this mode: the kill and reload signals, and those forwarded to the child. */
const HANDLED_SIGNALS: SignalName[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export function rendererVersion(): string {
  return (require(join(__dirname, '..', 'package.json')) as { version: string }).version;
}

/** consul-template's code for an error at start: 12 for a flag, 14 for a config (file or value), 10 otherwise. */
export function startExitCode(err: unknown): number {
  if (err instanceof CtFlagError) return EXIT_CODES.parseFlags;
  if (err instanceof ConfigError) return EXIT_CODES.config;
  return EXIT_CODES.error;
}

export async function mainConsulTemplate(argv: string[], cwd = process.cwd()): Promise<void> {
  let invocation: CompatInvocation;
  let config: RendererConfig;
  try {
    invocation = await loadCompatInvocation(argv, { cwd });
    const { commandLine } = invocation;
    if (commandLine.help) {
      process.stdout.write(ctUsage());
      process.exit(EXIT_CODES.ok);
    }
    if (commandLine.version) {
      process.stdout.write(`renderer v${rendererVersion()} (consul-template mode)\n`);
      process.exit(EXIT_CODES.ok);
    }
    config = resolveRendererConfig(invocation.plan.rendererConfig, cwd, 'consul-template config');
  } catch (err) {
    const code = startExitCode(err);
    process.stderr.write(`renderer: ${errorMessage(err)}\n${code === EXIT_CODES.parseFlags ? `\n${ctUsage()}` : ''}`);
    process.exit(code);
  }
  const { plan, commandLine } = invocation;
  const logger = createLogger({ name: 'renderer', level: config.logLevel, destination: config.dryRun ? pino.destination({ fd: 2, sync: true }) : undefined });
  for (const note of plan.notes) logger.warn({ note }, 'consul-template setting mapped with a difference');
  if (config.templates.length === 0) {
    logger.fatal('no templates: give -template or a config file with template {} blocks');
    process.exit(EXIT_CODES.config);
  }

  let runner: Runner;
  let consul: ConsulHttpClient;
  try {
    consul = consulHttpClientFromEnv({ ...process.env, ...plan.consulEnv }, { address: config.consul.address });
    // Compiles every template: a parse error fails the runner's creation, consul-template's runner error (13).
    runner = new Runner({ config, consul, logger });
  } catch (err) {
    logger.fatal({ err: errorMessage(err) }, 'cannot start');
    process.exit(EXIT_CODES.runner);
  }
  if (commandLine.parseOnly) {
    consul.close();
    logger.info({ templates: config.templates.length }, 'templates parsed');
    process.exit(EXIT_CODES.ok);
  }

  const pidFile = plan.process.pidFile;
  if (pidFile) writeFileSync(pidFile, String(process.pid));
  const exec = plan.exec && !config.dryRun ? execMode(invocation, config, runner, logger, (err) => void end(EXIT_CODES.runner, `exec: ${errorMessage(err)}`)) : undefined;
  const mode = exec?.mode;

  let ops: OpsServer | undefined;
  let ending: Promise<void> | undefined;
  const end = (code: number, reason: string): Promise<void> => {
    ending ??= (async () => {
      logger.info({ reason, code }, 'stopping');
      await runner.stop();
      await mode?.stop(true);
      consul.close();
      await ops?.close();
      if (pidFile) rmSync(pidFile, { force: true });
      process.exit(code);
    })();
    return ending;
  };
  mode?.on('exit', (code: number) => void end(code, 'the exec child exited'));

  for (const signal of HANDLED_SIGNALS) {
    process.on(signal, () => {
      void (async () => {
        const route = mode ? await mode.onSignal(signal) : routeSignal(signal, plan.process, false);
        logger.info({ signal, action: route.action }, 'signal received');
        if (route.action === 'reload-config') runner.reloadTemplates();
        // The kill signal is consul-template's interrupt (11); SIGTERM with no child is the renderer's clean stop (0).
        else if (route.action === 'stop') await end(signal === plan.process.killSignal ? EXIT_CODES.interrupt : EXIT_CODES.ok, signal);
      })().catch((err) => logger.error({ signal, err: errorMessage(err) }, 'signal handling failed'));
    });
  }

  if (config.once) {
    const report = await runner.runOnce();
    logOnceReport(logger, report);
    // With exec, consul-template's -once waits for the child and exits with its code.
    await exec?.settled();
    if (mode?.supervisor.running) return;
    await end(report.ok ? EXIT_CODES.ok : EXIT_CODES.runner, '-once done');
    return;
  }

  const served = await serveOps(runner, config, logger);
  if (served === null) return end(EXIT_CODES.error, 'ops server');
  ops = served;
  runner.start();
}

/** Exec mode wired to the runner: each pass goes to the mode, one after another (start, then reloads, in order). */
function execMode(invocation: CompatInvocation, config: RendererConfig, runner: Runner, logger: Logger, fail: (err: unknown) => void): { mode: ExecMode; settled: () => Promise<void> } {
  const exec = invocation.plan.exec!;
  const mode = new ExecMode({
    supervisor: { ...exec, log: (event, fields) => logger.info(fields, event) },
    templateIds: config.templates.map((t) => t.destination),
    process: invocation.plan.process,
  });
  let passes: Promise<void> = Promise.resolve();
  runner.on('pass', (pass) => {
    const outcomes = pass.templates.map((t) => ({ id: t.destination, result: t.result }));
    passes = passes.then(() => mode.afterPass(outcomes)).catch((err) => {
      logger.error({ err: errorMessage(err), argv: exec.argv }, 'exec child could not be started or signalled');
      fail(err);
    });
  });
  return { mode, settled: () => passes };
}
