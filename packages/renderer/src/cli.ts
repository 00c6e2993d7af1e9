// `renderer`: flags and config in, the runner started, /metrics and /health served, SIGTERM and SIGHUP handled.
// The command line follows core's convention (core/cli.ts): help on stdout exit 0, -version, usage errors exit 2,
// config errors exit 78.

import pino from 'pino';
import {
  ConfigError,
  consulHttpClientFromEnv,
  createLogger,
  errorMessage,
  EXIT,
  installShutdown,
  runCommandLine,
  type CommandLineSpec,
  type ConsulHttpClient,
  type ParsedFlags,
} from '@consul-sidecars/core';
import { chooseCliMode, configKindOf } from './cli-mode';
import { logOnceReport, loadOrKeep, serveOps } from './cli-steps';
import { FlagValueError, rendererConfigFromFlags, rendererFlags, type RendererConfig } from './config';
import { mainConsulTemplate, rendererVersion } from './ct-main';
import { Runner } from './runner';

const USAGE = `usage: renderer [flags]
Watches Consul and renders nunjucks or Go templates to files; validates each candidate before it goes live, then reloads.

examples:
  renderer -template "nginx-sites.conf.njk:/etc/nginx/conf.d/sites.conf:nginx -s reload" -wait 2s:10s
  renderer -config renderer.json -once
  renderer -config consul-template.hcl      (consul-template's mode: its flags, config and exit codes)

exit codes: 0 ok; 1 a -once pass left a template not rendered, or /metrics cannot be served; 2 usage error (a flag
or its value); 78 config error (the config file, no template, a template file missing or not compiling).
SIGHUP reads the config file and the templates again (a bad one is logged and the running config kept).

flags:`;

/** The renderer's own command line, as core's convention reads it. */
export function rendererCommandLine(): CommandLineSpec {
  return { name: 'renderer', version: rendererVersion(), usage: USAGE, flags: rendererFlags };
}

/** consul-template's command line when it is one (see cli-mode.ts), else the renderer's own. */
export async function main(argv: string[]): Promise<void> {
  if (chooseCliMode(argv, configKindOf) === 'consul-template') return mainConsulTemplate(argv);
  process.exit(await runCommandLine(argv, rendererCommandLine(), (flags) => runRenderer(flags)));
}

/** A config read from the flags (and its file): a bad flag value is a usage error, a bad file a ConfigError (78). */
function readConfig(flags: ParsedFlags): RendererConfig {
  const { config } = rendererConfigFromFlags(flags);
  if (config.templates.length === 0) throw new ConfigError('no templates: give -template or a config file with "templates"', { field: 'templates' });
  return config;
}

/** A template that cannot be read or does not compile is the configuration's fault: a ConfigError naming it. */
function newRunner(config: RendererConfig, consul: ConsulHttpClient, logger: ReturnType<typeof createLogger>, metrics?: Runner['metrics']): Runner {
  try {
    return new Runner({ config, consul, logger, metrics });
  } catch (err) {
    throw new ConfigError(errorMessage(err), { field: 'templates' });
  }
}

async function runRenderer(flags: ParsedFlags): Promise<number> {
  let config: RendererConfig;
  try {
    config = readConfig(flags);
  } catch (err) {
    if (!(err instanceof FlagValueError)) throw err;
    process.stderr.write(`renderer: ${err.message}\nrun \`renderer -help\` for the flags\n`);
    return EXIT.usage;
  }
  // With --dry-run stdout carries the rendered files, so logs go to stderr.
  const logger = createLogger({ name: 'renderer', level: config.logLevel, destination: config.dryRun ? pino.destination({ fd: 2, sync: true }) : undefined });
  let consul = consulHttpClientFromEnv(process.env, { address: config.consul.address });
  let runner: Runner;
  try {
    runner = newRunner(config, consul, logger);
  } catch (err) {
    consul.close();
    throw err;
  }

  if (config.once) {
    const report = await runner.runOnce();
    consul.close();
    logOnceReport(logger, report);
    return report.ok ? EXIT.ok : EXIT.failure;
  }

  const ops = await serveOps(() => runner, config, logger);
  if (ops === null) {
    consul.close();
    return EXIT.failure;
  }
  // SIGHUP: the config file and templates again; the new runner replaces the running one only once it is built.
  let reloading: Promise<void> = Promise.resolve();
  const reload = (): Promise<void> => (reloading = reloading.then(async () => {
    const next = await loadOrKeep(logger, () => {
      const nextConfig = readConfig(flags);
      const nextConsul = consulHttpClientFromEnv(process.env, { address: nextConfig.consul.address });
      try {
        return { config: nextConfig, consul: nextConsul, runner: newRunner(nextConfig, nextConsul, logger, runner.metrics) };
      } catch (err) {
        nextConsul.close();
        throw err;
      }
    });
    if (!next) return;
    await runner.stop();
    consul.close();
    ({ runner, consul } = next);
    logger.level = next.config.logLevel;
    if (next.config.ops.port !== config.ops.port || next.config.ops.enabled !== config.ops.enabled) logger.warn({ port: config.ops.port }, 'ops settings are read at start only; /metrics and /health stay where they are');
    logger.info({ templates: next.config.templates.length }, 'configuration reloaded');
    runner.start();
  }));
  installShutdown({
    logger,
    onShutdown: async () => {
      await reloading;
      await runner.stop();
      consul.close();
      await ops?.close();
    },
    onReload: reload,
  });
  runner.start();
  // Runs until a signal stops it (installShutdown exits the process).
  return new Promise<number>(() => {});
}
