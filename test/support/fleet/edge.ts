// The edge host of a fleet: a real nginx and the renderer inside the host, the renderer reading its local Consul
// agent and rendering the shipped sites template for every host's instances; requests reach nginx from the root
// through a relay.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../packages/core/src';
import { httpGet, NGINX } from '../../../packages/renderer/test/nginx-harness';
import type { TestbedHost } from '../testbed';
import { AGENT_PORT, BIN, type Fleet } from './fleet';

const SITES_TEMPLATE = join(__dirname, '..', '..', '..', 'packages', 'renderer', 'templates', 'nginx-sites.conf.njk');
export const EDGE_HTTP_PORT = 8088;
export const EDGE_OPS_PORT = 9465;

export interface Edge {
  host: TestbedHost;
  sitesPath: string;
  errorLog: string;
  /** GET / for the site `hostHeader` through the edge's nginx (a new connection each time). */
  get(hostHeader: string, timeoutMs?: number): Promise<{ status: number; body: string }>;
  /** The "address:port" servers of the rendered upstreams, sorted. */
  upstreamServers(): string[];
  /** SIGHUPs nginx logged. */
  reloads(): number;
}

export async function startEdge(fleet: Fleet, host: TestbedHost, options: { siteTag: string; wait?: { min: string; max: string } }): Promise<Edge> {
  const prefix = fleet.workDir('edge-nginx');
  for (const dir of ['conf.d', 'tmp']) fleet.workDir(`edge-nginx/${dir}`);
  const errorLog = join(prefix, 'error.log');
  const sitesPath = fleet.writeFile(join(prefix, 'conf.d'), 'sites.conf', '# empty until the renderer writes it\n');
  const confPath = fleet.writeFile(prefix, 'nginx.conf', `user root;
worker_processes 1;
error_log ${errorLog} notice;
pid ${prefix}/nginx.pid;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
    server {
        listen 127.0.0.1:${EDGE_HTTP_PORT} default_server;
        return 404 "no site\\n";
    }
    include ${prefix}/conf.d/*.conf;
}
`);
  const base = ['-p', `${prefix}/`, '-c', confPath];
  host.runService('nginx', NGINX, [...base, '-e', errorLog, '-g', 'daemon off;']);
  await waitFor(() => host.httpGet(`http://127.0.0.1:${EDGE_HTTP_PORT}/`).startsWith('404'), { timeoutMs: 10_000, message: `nginx on ${host.name}` });
  const configFile = fleet.writeFile(prefix, 'renderer.json', JSON.stringify({
    consul: { address: `127.0.0.1:${AGENT_PORT}` },
    templates: [{
      source: SITES_TEMPLATE,
      destination: sitesPath,
      group: 'nginx',
      validateCommand: [NGINX, ...base, '-e', 'stderr', '-t', '-q'],
      reloadCommand: [NGINX, ...base, '-e', errorLog, '-s', 'reload'],
      wait: options.wait ?? { min: '50ms', max: '250ms' },
      vars: { listen: `127.0.0.1:${EDGE_HTTP_PORT}`, siteTag: options.siteTag },
    }],
  }));
  host.runService('renderer', process.execPath, [BIN.renderer, '-config', configFile, '-ops-port', String(EDGE_OPS_PORT)], {
    ...process.env,
    CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}`,
  });
  const relay = await host.expose(EDGE_HTTP_PORT);
  return {
    host,
    sitesPath,
    errorLog,
    get: (hostHeader, timeoutMs) => httpGet(relay.port, hostHeader, '/', timeoutMs),
    upstreamServers: () => [...readFileSync(sitesPath, 'utf8').matchAll(/^\s*server\s+([0-9.]+:[0-9]+)[\s;]/gm)].map((m) => m[1]).sort(),
    reloads: () => (readFileSync(errorLog, 'utf8').match(/SIGHUP\) received/g) ?? []).length,
  };
}
