// A private nginx on a loopback port for the demo: its own prefix, config and pid, stopped on exit.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';

export interface DemoNginx {
  port: number;
  sitesFile: string;
  get(host: string): Promise<{ status: number; body: string }>;
  stop(): void;
}

export function startNginx(dir: string, port: number): DemoNginx {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const sitesFile = join(dir, 'sites.conf');
  writeFileSync(sitesFile, '# empty until the renderer writes it\n');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `worker_processes 1;
user root;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server { listen 127.0.0.1:${port} default_server; return 404 "no such site\\n"; }
  include ${sitesFile};
}
`);
  const args = ['-p', dir, '-c', conf];
  execFileSync('nginx', args, { stdio: 'pipe' });
  const agent = new http.Agent({ keepAlive: false });
  return {
    port,
    sitesFile,
    get: (host) =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: 5000 }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      }),
    stop: () => {
      try {
        execFileSync('nginx', [...args, '-s', 'quit'], { stdio: 'ignore' });
      } catch {
        // not running
      }
    },
  };
}

/** The listen directive the renderer's template writes for this nginx. */
export function listenFor(port: number): string {
  return `127.0.0.1:${port}`;
}
