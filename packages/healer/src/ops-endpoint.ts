// The loopback ops port: GET /metrics, GET /health, and POST /trigger (the watch handler's wake-up hint).

import { createHash } from 'node:crypto';
import type http from 'node:http';
import type { Registry } from 'prom-client';
import { startOpsServer, type HealthReport, type OpsRoute, type OpsServer } from '@consul-sidecars/core';
import { healerError } from './errors';

export interface TriggerHint {
  source: string;
  /** Short hash of the body (a Consul watch's full view), for the audit log only: the pass re-reads live state. */
  bodyHash?: string;
  consulIndex?: string;
}

export interface OpsEndpointOptions {
  registry: Registry;
  health: () => HealthReport | Promise<HealthReport>;
  /** Called for POST /trigger; resolves with the pass report when the caller asked to wait (`?wait=1`). */
  trigger: (hint: TriggerHint, wait: boolean) => Promise<unknown>;
  host?: string;
  port: number;
}

export type OpsEndpoint = OpsServer;

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(Object.assign(healerError('ERR_BODY_TOO_LARGE', 'body too large', { limit: MAX_BODY }), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startOpsEndpoint(options: OpsEndpointOptions): Promise<OpsEndpoint> {
  const trigger: OpsRoute = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    const body = await readBody(req);
    const hint: TriggerHint = { source: url.searchParams.get('source') ?? 'http' };
    if (body.length > 0) hint.bodyHash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const index = req.headers['x-consul-index'];
    if (typeof index === 'string') hint.consulIndex = index;
    const wait = url.searchParams.get('wait') === '1' || url.searchParams.get('wait') === 'true';
    const pending = options.trigger(hint, wait);
    if (!wait) {
      pending.catch(() => undefined);
      return json(202, { accepted: true, ...hint });
    }
    return json(200, await pending);
  };
  return startOpsServer({ registry: options.registry, health: options.health, host: options.host, port: options.port, routes: { 'POST /trigger': trigger } });
}
