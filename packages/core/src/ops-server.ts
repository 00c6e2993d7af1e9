// The loopback /metrics (Prometheus text) and /health endpoint every daemon serves.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

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

/** A registry with the process metrics (RSS, event loop lag...) under the daemon's prefix. */
export function createMetricsRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  return registry;
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
