// The routing chain the deploy scripts drain through, as real processes: a private nginx on a loopback port, and the
// renderer (bin/renderer.js) turning one Consul service's passing instances into that nginx's upstream + server block
// with the shipped template, validating with `nginx -t` and reloading with `nginx -s reload`.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { httpGet, startNginx, type NginxInstance } from '../../packages/renderer/test/nginx-harness';
import { REPO } from './deploy-fixtures';

const RENDERER_BIN = join(REPO, 'packages', 'renderer', 'bin', 'renderer.js');
const SITES_TEMPLATE = join(REPO, 'packages', 'renderer', 'templates', 'nginx-sites.conf.njk');

export interface NginxChain {
  nginx: NginxInstance;
  /** The rendered upstream + server block (nginx includes it): what `--drain-upstream-file` watches. */
  upstreamFile: string;
  /** GET / through nginx for the service's site; a new connection per request, sent with `Connection: close`. */
  get(): Promise<{ status: number; body: string }>;
  /** The "address:port" servers of the rendered upstream, sorted. */
  upstreamServers(): string[];
  /** nginx's error-log lines about failed upstream connections or responses (a request sent to a stopped instance). */
  upstreamErrors(): string[];
  /**
   * Every reload the renderer ran has reached nginx and the worker it replaced has exited. Until then the old
   * worker still accepts connections and answers them with the previous config (there is 1 worker process).
   */
  reloadsSettled(): Promise<boolean>;
  /** The renderer's /metrics counters that say what it did to nginx. */
  rendererCounters(): Promise<{ reloads: number; reloadFailures: number; validationFailures: number }>;
  /** Everything the renderer printed (its JSON log), for assertion messages. */
  rendererOutput(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx and the renderer for the instances of `service` tagged `siteTag` (the shipped template's site
 * filter: a real agent's other services stay out of this nginx). Resolves once the renderer serves /metrics;
 * the caller waits for the instances it expects in `upstreamServers()`.
 */
export async function startNginxChain(options: { consulUrl: string; service: string; siteTag: string }): Promise<NginxChain> {
  const nginx = await startNginx({ label: 'deploy-' });
  const configFile = join(nginx.prefix, 'renderer.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      consul: { address: options.consulUrl },
      templates: [
        {
          source: SITES_TEMPLATE,
          destination: nginx.sitesPath,
          group: 'nginx',
          validateCommand: nginx.validateCommand,
          reloadCommand: nginx.reloadCommand,
          wait: { min: '100ms', max: '500ms' },
          vars: { listen: `127.0.0.1:${nginx.port}`, siteTag: options.siteTag },
        },
      ],
    }),
  );
  const renderer: ChildProcess = spawn(process.execPath, [RENDERER_BIN, '-config', configFile, '-ops-port', '0'], {
    env: { ...process.env, CONSUL_HTTP_ADDR: options.consulUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  renderer.stdout!.on('data', keep);
  renderer.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => renderer.once('exit', () => resolve()));
  const running = () => renderer.exitCode === null && renderer.signalCode === null;

  const stop = async () => {
    if (running()) {
      renderer.kill('SIGTERM');
      const force = setTimeout(() => renderer.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    }
    await nginx.stop();
  };

  let opsUrl: string;
  try {
    opsUrl = await waitFor(
      () => {
        if (!running()) throw new Error(`the renderer exited: ${output.slice(-2000)}`);
        for (const line of output.split('\n')) {
          if (!line.includes('serving /metrics')) continue;
          const url = (JSON.parse(line) as { url?: string }).url;
          if (url) return url;
        }
        return undefined;
      },
      { timeoutMs: 15_000, message: 'the renderer to serve /metrics' },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const counter = (metrics: string, name: string, labels: RegExp = /.*/) =>
    metrics
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .filter((line) => labels.test(line))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

  const rendererCounters = async () => {
    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    return {
      reloads: counter(metrics, 'renderer_command_runs_total', /kind="reload"[^}]*result="ok"|result="ok"[^}]*kind="reload"/),
      reloadFailures: counter(metrics, 'renderer_reload_failures_total'),
      validationFailures: counter(metrics, 'renderer_validation_failures_total'),
    };
  };

  return {
    nginx,
    upstreamFile: nginx.sitesPath,
    get: () => httpGet(nginx.port, options.service),
    upstreamServers: () =>
      [...readFileSync(nginx.sitesPath, 'utf8').matchAll(/^\s*server\s+([0-9.]+:[0-9]+)[\s;]/gm)].map((m) => m[1]).sort(),
    upstreamErrors: () =>
      readFileSync(nginx.errorLog, 'utf8')
        .split('\n')
        .filter((line) => /\[(warn|error|crit)\]/.test(line) && /upstream/.test(line)),
    async reloadsSettled() {
      const { reloads } = await rendererCounters();
      const log = readFileSync(nginx.errorLog, 'utf8');
      const retired = (log.match(/worker process \d+ exited/g) ?? []).length;
      return nginx.reloads() >= reloads && retired >= nginx.reloads();
    },
    rendererCounters,
    rendererOutput: () => output,
    stop,
  };
}
