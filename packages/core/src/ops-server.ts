// The loopback /metrics (Prometheus text) and /health endpoint every daemon serves.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

/** An extra endpoint on the ops port, e.g. the healer's `POST /trigger`; it answers the request itself. */
export type OpsRoute = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

export interface OpsServerOptions {
  registry: Registry;
  /** Extra endpoints keyed by "METHOD /path" (e.g. "POST /trigger"). */
  routes?: Record<string, OpsRoute>;
  health: () => HealthReport | Promise<HealthReport>;
  host?: string;
  /** 0 picks a free port. */
  port: number;
}

export interface OpsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * prom-client's defaults that promtool rejects: gauges named like counters. Their unsuffixed twins
 * (nodejs_active_handles{type}, nodejs_active_requests{type}, nodejs_active_resources{type}) carry the same numbers.
 */
const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * A daemon's registry: the standard process_* and nodejs_* metrics under their standard names (the daemon is the
 * scrape job, not a prefix, so stock dashboards work), promtool-clean, and consul_sidecars_build_info.
 */
export function createMetricsRegistry(daemon: string, version = packageVersion()): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  const info = new Gauge({ name: 'consul_sidecars_build_info', help: 'Always 1: the daemon and its version', labelNames: ['daemon', 'version'], registers: [registry] });
  info.set({ daemon, version }, 1);
  return registry;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = async () => {
      const extra = options.routes?.[`${req.method} ${path}`];
      if (extra) {
        await extra(req, res);
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      } else if (path === '/metrics') {
        const text = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(text);
      } else if (path === '/health') {
        const report = await options.health();
        res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(report)}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    };
    answer().catch((err: Error & { status?: number }) => {
      if (!res.headersSent) res.writeHead(err.status ?? 500, { 'content-type': 'text/plain' });
      res.end(`${err.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
