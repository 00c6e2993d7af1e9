// `renderer` in consul-template's mode: its flags and config files, its exit codes, its exec mode, its signals.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError, consulHttpClientFromEnv, createLogger, errorMessage, type ConsulHttpClient, type Logger, type OpsServer } from '@consul-sidecars/core';
import { logOnceReport, loadOrKeep, serveOps } from './cli-steps';
import { ctUsage, CtFlagError, EXIT_CODES, ExecMode, loadCompatInvocation, routeSignal, type CompatInvocation, type SignalName } from './compat';
import { resolveRendererConfig, type RendererConfig } from './config';
import { Runner, type RunnerFatal } from './runner';

/** The signals the renderer listens to in this mode: the kill and reload signals, and those forwarded to the child. */
const HANDLED_SIGNALS: SignalName[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export function rendererVersion(): string {
  return (require(join(__dirname, '..', 'package.json')) as { version: string }).version;
}

/** consul-template's code for an error at start: 13 for a flag, 15 for a config (file or value), 11 otherwise. */
export function startExitCode(err: unknown): number {
  if (err instanceof CtFlagError) return EXIT_CODES.parseFlags;
  if (err instanceof ConfigError) return EXIT_CODES.config;
  return EXIT_CODES.error;
}

/** What one reading of the command line and config files gives: the invocation and the renderer's config. */
interface LoadedConfig {
  invocation: CompatInvocation;
  config: RendererConfig;
}

async function loadConfig(argv: string[], cwd: string): Promise<LoadedConfig> {
  const invocation = await loadCompatInvocation(argv, { cwd });
  if (invocation.commandLine.help || invocation.commandLine.version) return { invocation, config: resolveRendererConfig({}) };
  const config = resolveRendererConfig(invocation.plan.rendererConfig, cwd, 'consul-template config');
  if (config.templates.length === 0) throw new ConfigError('no templates: give -template or a config file with template {} blocks', { field: 'template' });
  return { invocation, config };
}

/** What runs for one configuration: its runner and, with `exec {}`, the supervised child. Replaced whole on reload. */
interface Generation extends LoadedConfig {
  runner: Runner;
  exec?: { mode: ExecMode; settled: () => Promise<void> };
}

export async function mainConsulTemplate(argv: string[], cwd = process.cwd()): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(argv, cwd);
    const { commandLine } = loaded.invocation;
    if (commandLine.help) {
      process.stdout.write(ctUsage());
      process.exit(EXIT_CODES.ok);
    }
    if (commandLine.version) {
      process.stdout.write(`renderer v${rendererVersion()} (consul-template mode)\n`);
      process.exit(EXIT_CODES.ok);
    }
  } catch (err) {
    const code = startExitCode(err);
    process.stderr.write(`renderer: ${errorMessage(err)}\n${code === EXIT_CODES.parseFlags ? `\n${ctUsage()}` : ''}`);
    process.exit(code);
  }
  const { commandLine } = loaded.invocation;
  const dryRun = loaded.config.dryRun;
  const logger = createLogger({ name: 'renderer', level: loaded.config.logLevel, destination: dryRun ? pino.destination({ fd: 2, sync: true }) : undefined });

  let consul: ConsulHttpClient;
  let current: Generation;
  let ops: OpsServer | undefined;
  let ending: Promise<void> | undefined;
  let pidFile: string | undefined;
  const end = (code: number, reason: string): Promise<void> => {
    ending ??= (async () => {
      logger.info({ reason, code }, 'stopping');
      await current.runner.stop();
      await current.exec?.mode.stop(true);
      consul.close();
      await ops?.close();
      if (pidFile) rmSync(pidFile, { force: true });
      process.exit(code);
    })();
    return ending;
  };
  // consul-template's error_fatal: the runner stopped on a template error; exit 14 naming the template.
  const onFatal = (fatal: RunnerFatal) => {
    process.stderr.write(`renderer: ${fatal.message}\n`);
    void end(EXIT_CODES.runner, `template error (error_fatal): ${fatal.template}`);
  };

  /**
   * A runner (and exec mode) for `next`; the first one shares its metrics with every later one (one /metrics). On a
   * reload, an unchanged `exec {}` keeps its child, now fed by the new runner's passes.
   */
  const build = (next: LoadedConfig, previous?: Generation): Generation => {
    for (const note of next.invocation.plan.notes) logger.warn({ note }, 'consul-template setting mapped with a difference');
    // Compiles every template: a parse error fails the runner's creation, consul-template's runner error (14).
    const runner = new Runner({ config: next.config, consul, logger, metrics: previous?.runner.metrics });
    runner.on('fatal', onFatal);
    const plan = next.invocation.plan.exec && !next.config.dryRun ? next.invocation.plan.exec : undefined;
    const kept = previous?.exec && plan && sameExec(previous.invocation, next.invocation) ? previous.exec.mode : undefined;
    const exec = plan ? execMode(next.invocation, next.config, runner, logger, (err) => void end(EXIT_CODES.runner, `exec: ${errorMessage(err)}`), kept) : undefined;
    if (exec && !kept) exec.mode.on('exit', (code: number) => void end(code, 'the exec child exited'));
    return { ...next, runner, exec };
  };
  try {
    consul = consulHttpClientFromEnv({ ...process.env, ...loaded.invocation.plan.consulEnv }, { address: loaded.config.consul.address });
    current = build(loaded);
  } catch (err) {
    logger.fatal({ err: errorMessage(err) }, 'cannot start');
    process.stderr.write(`renderer: ${errorMessage(err)}\n`);
    process.exit(EXIT_CODES.runner);
  }
  if (commandLine.parseOnly) {
    consul.close();
    logger.info({ templates: current.config.templates.length }, 'templates parsed');
    process.exit(EXIT_CODES.ok);
  }
  const writePidFile = (path: string | undefined) => {
    if (pidFile && pidFile !== path) rmSync(pidFile, { force: true });
    pidFile = path;
    if (path) writeFileSync(path, String(process.pid));
  };
  writePidFile(current.invocation.plan.process.pidFile);

  /**
   * The reload signal, as consul-template's: the config files are read again and a new runner built from them, the
   * running one stopped and the new one started. Unlike consul-template (which exits 15), a bad new config or a
   * template that no longer parses is logged, naming the file, line and key, and the last good configuration keeps
   * running; and the exec child keeps running when `exec {}` did not change (consul-template stops it and starts a
   * new one after the first render, which a template refused by validation would never give).
   */
  let reloading: Promise<void> = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      if (ending) return;
      const next = await loadOrKeep(logger, async () => {
        const read = await loadConfig(argv, cwd);
        return build(read, current);
      });
      if (!next || ending) return;
      const previous = current;
      await previous.runner.stop();
      previous.runner.removeAllListeners();
      // A changed exec {} stops the old child (the new one starts after the new runner's first complete render).
      if (previous.exec && previous.exec.mode !== next.exec?.mode) await previous.exec.mode.stop(false);
      current = next;
      writePidFile(next.invocation.plan.process.pidFile);
      logger.level = next.config.logLevel;
      if (next.config.ops.port !== previous.config.ops.port || next.config.ops.enabled !== previous.config.ops.enabled) {
        logger.warn({ port: previous.config.ops.port }, 'ops settings are read at start only; /metrics and /health stay where they are');
      }
      logger.info({ templates: next.config.templates.length }, 'configuration reloaded');
      next.runner.start();
    });
  };

  for (const signal of HANDLED_SIGNALS) {
    process.on(signal, () => {
      void (async () => {
        const { process: settings } = current.invocation.plan;
        const mode = current.exec?.mode;
        const route = mode ? await mode.onSignal(signal) : routeSignal(signal, settings, false);
        logger.info({ signal, action: route.action }, 'signal received');
        if (route.action === 'reload-config') reload();
        // The kill signal is consul-template's interrupt (12); SIGTERM with no child is the renderer's clean stop (0).
        else if (route.action === 'stop') await end(signal === settings.killSignal ? EXIT_CODES.interrupt : EXIT_CODES.ok, signal);
      })().catch((err) => logger.error({ signal, err: errorMessage(err) }, 'signal handling failed'));
    });
  }

  if (current.config.once) {
    const report = await current.runner.runOnce();
    if (current.runner.fatal) return;
    logOnceReport(logger, report);
    // With exec, consul-template's -once waits for the child and exits with its code.
    await current.exec?.settled();
    if (current.exec?.mode.supervisor.running) return;
    await end(report.ok ? EXIT_CODES.ok : EXIT_CODES.runner, '-once done');
    return;
  }

  const served = await serveOps(() => current.runner, current.config, logger);
  if (served === null) return end(EXIT_CODES.error, 'ops server');
  ops = served;
  current.runner.start();
}

/** The same child command and supervision (a reload keeps the running child then). */
function sameExec(a: CompatInvocation, b: CompatInvocation): boolean {
  const settings = (i: CompatInvocation) => JSON.stringify({ exec: i.plan.exec, kill: i.plan.process.killSignal, reload: i.plan.process.reloadSignal });
  return settings(a) === settings(b);
}

/**
 * Exec mode wired to the runner: each pass goes to the mode, one after another (start, then reloads, in order).
 * `kept`: the running mode of the previous configuration, fed by this runner from now on.
 */
function execMode(invocation: CompatInvocation, config: RendererConfig, runner: Runner, logger: Logger, fail: (err: unknown) => void, kept?: ExecMode): { mode: ExecMode; settled: () => Promise<void> } {
  const exec = invocation.plan.exec!;
  const mode = kept ?? new ExecMode({
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
