// `renderer`: flags and config in, the runner started, /metrics and /health served, SIGTERM and SIGHUP handled.

import pino from 'pino';
import {
  consulHttpClientFromEnv,
  createLogger,
  describeFlags,
  errorMessage,
  installShutdown,
  type ConsulHttpClient,
} from '@consul-sidecars/core';
import { chooseCliMode, configKindOf } from './cli-mode';
import { logOnceReport, serveOps } from './cli-steps';
import { loadRendererConfig, rendererFlags } from './config';
import { mainConsulTemplate, rendererVersion } from './ct-main';
import { Runner } from './runner';

const USAGE = `usage: renderer [flags]
Watches Consul and renders nunjucks templates to files; validates each candidate before it goes live, then reloads.

flags:
${describeFlags(rendererFlags)}

examples:
  renderer -template "nginx-sites.conf.njk:/etc/nginx/conf.d/sites.conf:nginx -s reload" -wait 2s:10s
  renderer -config renderer.json -once
  renderer -config consul-template.hcl      (consul-template's mode: its flags, config and exit codes)

exit codes: 0 ok, 1 a -once pass left a template not rendered, 2 usage or config error.
`;

/** consul-template's command line when it is one (see cli-mode.ts), else the renderer's own. */
export async function main(argv: string[]): Promise<void> {
  if (chooseCliMode(argv, configKindOf) === 'consul-template') return mainConsulTemplate(argv);
  return mainRenderer(argv);
}

async function mainRenderer(argv: string[]): Promise<void> {
  let options: ReturnType<typeof loadRendererConfig>;
  try {
    options = loadRendererConfig(argv);
  } catch (err) {
    process.stderr.write(`renderer: ${errorMessage(err)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (options.version) {
    process.stdout.write(`renderer v${rendererVersion()}\n`);
    return;
  }
  const { config } = options;
  // With --dry-run stdout carries the rendered files, so logs go to stderr.
  const logger = createLogger({ name: 'renderer', level: config.logLevel, destination: config.dryRun ? pino.destination({ fd: 2, sync: true }) : undefined });
  if (config.templates.length === 0) {
    logger.fatal('no templates: give -template or a config file with "templates"');
    process.exit(2);
  }

  let runner: Runner;
  let consul: ConsulHttpClient;
  try {
    consul = consulHttpClientFromEnv(process.env, { address: config.consul.address });
    runner = new Runner({ config, consul, logger });
  } catch (err) {
    logger.fatal({ err: errorMessage(err) }, 'cannot start');
    process.exit(2);
  }

  if (config.once) {
    const report = await runner.runOnce();
    consul.close();
    logOnceReport(logger, report);
    process.exit(report.ok ? 0 : 1);
  }

  const ops = await serveOps(runner, config, logger);
  if (ops === null) process.exit(2);
  installShutdown({
    logger,
    onShutdown: async () => {
      await runner.stop();
      consul.close();
      await ops?.close();
    },
    onReload: () => runner.reloadTemplates(),
  });
  runner.start();
}
