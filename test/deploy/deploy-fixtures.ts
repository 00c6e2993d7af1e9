// Fixtures of the deploy-script tests: a compose project of busybox web instances, a stand-in registrator that
// registers them in Consul with HTTP checks, a bounded request loop, and a runner for the scripts.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBusyboxImage } from '../support/docker-images';

const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..');
export const SCRIPTS = join(REPO, 'scripts', 'jenkins');

export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Builds a web image FROM the busybox test image answering "<version> <hostname>"; `port` is where httpd listens. */
export function buildWebImage(tag: string, version: string, label: string, port = 80): string {
  const base = ensureBusyboxImage();
  const dockerfile = [
    `FROM ${base}`,
    `LABEL consul-sidecars.test=${label} consul-sidecars.deploy-version=${version}`,
    `CMD ["sh", "-c", "mkdir -p /www && echo ${version} $(hostname) > /www/index.html && exec httpd -f -p ${port} -h /www"]`,
  ].join('\n');
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: dockerfile, stdio: ['pipe', 'ignore', 'pipe'] });
  return tag;
}

export function imageId(tag: string): string {
  return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).trim();
}

export interface WebProject {
  dir: string;
  name: string;
  composeFile: string;
  composeArgs: string[];
  /** Running containers: id, name, image ID, host port. */
  containers(): Promise<Array<{ id: string; name: string; image: string; hostPort: number }>>;
  remove(): void;
}

/** A compose project with service `web` (image from ${WEB_IMAGE}) scaled to `count`, ports on 127.0.0.1. */
export function startWebProject(name: string, image: string, count: number, label: string): WebProject {
  const dir = mkdtempSync(join(tmpdir(), 'cs-deploy-'));
  const composeFile = join(dir, 'docker-compose.yml');
  writeFileSync(
    composeFile,
    [
      'version: "2.4"',
      'services:',
      '  web:',
      '    image: ${WEB_IMAGE}',
      '    ports: ["127.0.0.1::80"]',
      '    init: true', // docker-init forwards SIGTERM: httpd as PID 1 would ignore it and wait for the kill
      '    stop_grace_period: 2s',
      '    labels:',
      `      consul-sidecars.test: "${label}"`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, '.env'), `WEB_IMAGE=${image}\n`);
  const composeArgs = ['-p', name, '-f', composeFile];
  execFileSync('docker-compose', [...composeArgs, 'up', '-d', '--scale', `web=${count}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    dir,
    name,
    composeFile,
    composeArgs,
    async containers() {
      const { stdout } = await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${name}`]);
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length === 0) return [];
      const { stdout: details } = await run('docker', [
        'inspect',
        '--format',
        '{{.Id}} {{.Name}} {{.Image}} {{.State.Running}} {{with index .NetworkSettings.Ports "80/tcp"}}{{(index . 0).HostPort}}{{end}}',
        ...ids,
      ]).catch(() => ({ stdout: '' })); // a container removed between ps and inspect: next poll
      return details
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' '))
        .filter((f) => f[3] === 'true' && f[4])
        .map(([id, n, img, , port]) => ({ id, name: n.replace(/^\//, ''), image: img, hostPort: Number(port) }));
    },
    remove() {
      try {
        execFileSync('docker-compose', [...composeArgs, 'down', '-t', '1', '--remove-orphans'], { stdio: 'ignore', env: { ...process.env, WEB_IMAGE: image } });
      } catch {
        // fall through to the label sweep
      }
      const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${name}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (left.length > 0) execFileSync('docker', ['rm', '-f', ...left], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Stands in for registrator until it is usable: every 200 ms, registers each running container of the project
 * as "<node>:<container name>:80" with `tags` and an HTTP check, and deregisters the ones whose container is gone.
 */
export function startTestRegistrator(consulUrl: string, project: WebProject, service: string, options: { node?: string; tags?: string[] } = {}) {
  const { node = 'deploy-test', tags = [] } = options;
  const registered = new Set<string>();
  let stopped = false;
  let errors = 0;
  const put = async (path: string, body?: unknown) => {
    const res = await fetch(`${consulUrl}${path}`, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok && res.status !== 404) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  const pass = async () => {
    const live = await project.containers();
    const seen = new Set<string>();
    for (const c of live) {
      const id = `${node}:${c.name}:80`;
      seen.add(id);
      if (registered.has(id)) continue;
      await put('/v1/agent/service/register', {
        ID: id,
        Name: service,
        Tags: tags,
        Address: '127.0.0.1',
        Port: c.hostPort,
        Meta: { container_id: c.id, container_name: c.name },
        Check: { HTTP: `http://127.0.0.1:${c.hostPort}/`, Interval: '1s', Timeout: '1s' },
      });
      registered.add(id);
    }
    for (const id of [...registered]) {
      if (seen.has(id)) continue;
      await put(`/v1/agent/service/deregister/${encodeURIComponent(id)}`);
      registered.delete(id);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await pass().catch(() => {
        errors += 1;
      });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    get errors() {
      return errors;
    },
    async stop() {
      stopped = true;
      await loop;
      for (const id of registered) await put(`/v1/agent/service/deregister/${encodeURIComponent(id)}`).catch(() => undefined);
      registered.clear();
    },
  };
}

/**
 * Sends requests with `send`, `concurrency` at a time, until `until()` says stop or the bounds hit; counts the
 * 200s by the first word of the body (the web image's version) and keeps the first failures.
 */
export async function requestLoop(
  send: () => Promise<{ status: number; body: string }>,
  until: () => boolean,
  bounds = { maxRequests: 30_000, maxMs: 120_000, concurrency: 4 },
) {
  const started = Date.now();
  const stats = { ok: 0, failed: 0, failures: [] as string[], bodies: new Map<string, number>() };
  let sent = 0;
  const worker = async () => {
    while (!until() && sent < bounds.maxRequests && Date.now() - started < bounds.maxMs) {
      sent += 1;
      try {
        const res = await send();
        const body = res.body.trim();
        if (res.status === 200) {
          stats.ok += 1;
          const version = body.split(' ')[0];
          stats.bodies.set(version, (stats.bodies.get(version) ?? 0) + 1);
        } else {
          stats.failed += 1;
          if (stats.failures.length < 10) stats.failures.push(`${res.status} ${body}`);
        }
      } catch (err) {
        stats.failed += 1;
        if (stats.failures.length < 10) stats.failures.push(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: bounds.concurrency }, worker));
  return stats;
}

/** Runs a script, resolving with its exit code and output (never rejects on a non-zero exit). */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(script, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
