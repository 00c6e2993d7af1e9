// A real nginx for tests and benchmarks: own prefix dir, one loopback port, the rendered sites file included
// from the http block, error log in the prefix. Not a test file itself.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';

export const NGINX = '/usr/sbin/nginx';

export interface NginxInstance {
  prefix: string;
  port: number;
  confPath: string;
  /** conf.d/sites.conf; every conf.d/*.conf is included. */
  sitesPath: string;
  errorLog: string;
  /** The argv for `nginx -t` and `nginx -s reload` against this instance. */
  validateCommand: string[];
  reloadCommand: string[];
  /** GET http://127.0.0.1:<port><path> with a Host header. */
  get(host: string, path?: string): Promise<{ status: number; body: string }>;
  /** SIGHUPs nginx logged: how many reloads it received. */
  reloads(): number;
  running(): boolean;
  masterPid(): number;
  /** The master's children: the same pids before and after means no reload (a reload forks new workers). */
  workerPids(): number[];
  /** Stops the master and starts a new one on the same prefix and files (shared memory starts empty). */
  restart(): Promise<void>;
  /** Stops nginx, keeping its files; start() brings it back. */
  stopOnly(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function httpGet(port: number, host: string, path = '/', timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { Host: host }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The modules Debian's nginx-extras loads from modules-enabled: the Lua module and the devel kit it needs. */
export const LUA_MODULES = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];

export interface StartNginxOptions {
  sites?: string;
  label?: string;
  /** Load the Lua module (no-reload mode). */
  lua?: boolean;
  /** worker_processes (default 1). */
  workers?: number;
}

export async function startNginx(options: StartNginxOptions = {}): Promise<NginxInstance> {
  const prefix = mkdtempSync(join(tmpdir(), `renderer-nginx-${options.label ?? ''}`));
  for (const d of ['tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(join(prefix, d), { recursive: true });
  const port = await freePort();
  const confPath = join(prefix, 'nginx.conf');
  mkdirSync(join(prefix, 'conf.d'));
  const sitesPath = join(prefix, 'conf.d', 'sites.conf');
  const errorLog = join(prefix, 'error.log');
  const asRoot = process.getuid?.() === 0;
  writeFileSync(
    confPath,
    `${(options.lua ? LUA_MODULES : []).map((m) => `load_module ${m};\n`).join('')}${asRoot ? 'user root;\n' : ''}worker_processes ${options.workers ?? 1};
error_log ${errorLog} notice;
pid ${join(prefix, 'nginx.pid')};
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
    server {
        listen 127.0.0.1:${port} default_server;
        return 404 "no site\\n";
    }
    include ${prefix}/conf.d/*.conf;
}
`,
  );
  writeFileSync(sitesPath, options.sites ?? '# empty until the renderer writes it\n');
  const base = [NGINX, '-p', `${prefix}/`, '-c', confPath, '-e', errorLog];

  // One nginx master process at a time; restart() stops it and starts a fresh one on the same files.
  let master: { child: ChildProcess; exited: boolean; done: Promise<void>; stderr: () => string };
  const launch = async () => {
    const child: ChildProcess = spawn(base[0], [...base.slice(1), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const current = { child, exited: false, done: Promise.resolve(), stderr: () => stderr };
    current.done = new Promise<void>((resolve) => child.once('exit', () => {
      current.exited = true;
      resolve();
    }));
    master = current;
    await waitFor(async () => {
      if (current.exited) throw new Error(`nginx exited: ${stderr}`);
      return (await httpGet(port, 'probe.invalid').catch(() => ({ status: 0 }))).status === 404;
    }, { timeoutMs: 10_000, message: `nginx on 127.0.0.1:${port}` });
  };
  const halt = async () => {
    if (!master.exited) {
      master.child.kill('SIGTERM');
      await Promise.race([master.done, new Promise((r) => setTimeout(r, 5000))]);
      if (!master.exited) master.child.kill('SIGKILL');
      await master.done;
    }
  };
  try {
    await launch();
  } catch (err) {
    await halt().catch(() => undefined);
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  return {
    prefix,
    port,
    confPath,
    sitesPath,
    errorLog,
    // `-e stderr`: a failed test goes to the renderer (captured), not into the running nginx's error log.
    validateCommand: [NGINX, '-p', `${prefix}/`, '-c', confPath, '-e', 'stderr', '-t', '-q'],
    reloadCommand: [...base, '-s', 'reload'],
    get: (host, path) => httpGet(port, host, path),
    reloads: () => (readFileSync(errorLog, 'utf8').match(/SIGHUP\) received/g) ?? []).length,
    running: () => !master.exited,
    masterPid: () => master.child.pid as number,
    workerPids: () => {
      const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(master.child.pid)], { encoding: 'utf8' });
      return out.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0).sort((a, b) => a - b);
    },
    restart: async () => {
      await halt();
      await launch();
    },
    stopOnly: halt,
    start: launch,
    stop: async () => {
      await halt();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Runs `nginx -t` on a config that includes `sites` (for template tests that need no running nginx). */
export function nginxAccepts(sites: string, options: { lua?: boolean } = {}): { ok: boolean; output: string } {
  const prefix = mkdtempSync(join(tmpdir(), 'renderer-nginx-t-'));
  try {
    const sitesPath = join(prefix, 'sites.conf');
    writeFileSync(sitesPath, sites);
    writeFileSync(join(prefix, 'nginx.conf'), `${(options.lua ? LUA_MODULES : []).map((m) => `load_module ${m};\n`).join('')}error_log ${prefix}/error.log;\npid ${prefix}/nginx.pid;\nevents {}\nhttp {\n  client_body_temp_path ${prefix}/body;\n  proxy_temp_path ${prefix}/proxy;\n  fastcgi_temp_path ${prefix}/fastcgi;\n  uwsgi_temp_path ${prefix}/uwsgi;\n  scgi_temp_path ${prefix}/scgi;\n  include ${sitesPath};\n}\n`);
    try {
      const output = execFileSync(NGINX, ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log'), '-t'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { ok: true, output };
    } catch (err) {
      return { ok: false, output: String((err as { stderr?: string }).stderr ?? err) };
    }
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}
