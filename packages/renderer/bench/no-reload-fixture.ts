// What no-reload.bench.ts needs beside the shared bench support: filler services (so each nginx holds 1,000
// upstreams, as at fleet scale), requests to nginx's push endpoint on a fresh connection each, and the reload
// floor's edit of a rendered nginx-sites file. Not a benchmark itself (bench/run.js runs *.bench.ts only).

import http from 'node:http';
import type { ConsulClient } from '@consul-sidecars/core';

/** Upstreams in each nginx: the measured site and this many less one fillers. */
export const UPSTREAMS = 1000;
/** Registrations in flight at once (the Consul client's own maxSockets is 16). */
const REGISTER_CONCURRENCY = 16;

export function fillerName(n: number, site: string): string {
  return `f${n}-${site}`;
}

/** Registers `count` services tagged `tag`, each one instance at 127.0.0.1:`port`; returns their service ids. */
export async function registerFillers(client: ConsulClient, opts: { site: string; tag: string; port: number; count: number }): Promise<string[]> {
  const ids = Array.from({ length: opts.count }, (_, i) => `filler-${i + 1}-${opts.site}`);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      await client.agent.service.register({ name: fillerName(i + 1, opts.site), id: ids[i], address: '127.0.0.1', port: opts.port, tags: [opts.tag] });
    }
  };
  await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, worker));
  return ids;
}

/**
 * One request to nginx's push endpoint on a connection of its own (no keep-alive): a kept-alive connection
 * reused after a reload meets the old worker closing it (ECONNRESET), which would be the probe's artefact, not
 * a push failure.
 */
export function adminRequest(port: number, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      method,
      agent: false,
      timeout: 5000,
      headers: { Connection: 'close', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} 127.0.0.1:${port}${path}: no answer within 5000 ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Upstream blocks in a rendered nginx file. */
export function countUpstreams(conf: string): number {
  return (conf.match(/^upstream \S+ \{$/gm) ?? []).length;
}

/** The ports of `upstream`'s 127.0.0.1 servers in a rendered nginx-sites file ([] when it has no such block). */
export function upstreamPorts(conf: string, upstream: string): number[] {
  const escaped = upstream.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const block = new RegExp(`^upstream ${escaped} \\{\\n([\\s\\S]*?)\\n\\}`, 'm').exec(conf);
  return block ? [...block[1].matchAll(/^\s+server 127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1])) : [];
}

/** A rendered nginx-sites file with `upstream`'s servers replaced by 127.0.0.1:`port` alone (the reload floor's edit). */
export function repointUpstream(conf: string, upstream: string, port: number): string {
  const escaped = upstream.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const block = new RegExp(`^upstream ${escaped} \\{\\n[\\s\\S]*?\\n\\}`, 'm');
  if (!block.test(conf)) throw new Error(`reload floor: no "upstream ${upstream}" block in the rendered file`);
  return conf.replace(block, () => `upstream ${upstream} {\n    server 127.0.0.1:${port} max_fails=2 fail_timeout=5s;\n    keepalive 16;\n}`);
}

/** Deregisters the fillers again (against a real agent nothing else would). */
export async function deregisterFillers(client: ConsulClient, ids: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) await client.agent.service.deregister(ids[next++]);
  };
  await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, worker));
}
