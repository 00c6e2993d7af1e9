// Fixtures of the stack-from-images test: the images built from this checkout, the operator's compose stack
// (compose/docker-compose.yml + docker-compose.standin.yml) driven with an env file, and small HTTP(S) probes.

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import https from 'node:https';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..');
export const COMPOSE_DIR = join(REPO, 'compose');
export const STACK_IMAGES = ['consul-standin', 'bigip-standin', 'registrator', 'renderer', 'healer', 'f5-sync', 'docker-socket-proxy'] as const;

function imageLabel(tag: string, label: string): string | undefined {
  const result = spawnSync('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${label}" }}`, tag], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function headRevision(): string | undefined {
  const result = spawnSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Makes sure consul-sidecars/<name>:<version> exists for every stack image, built from this checkout by
 * scripts/build-images.sh (which also makes the local bases CI needs). Images built from another commit are
 * rebuilt; CS_TEST_REBUILD_IMAGES=1 rebuilds always (uncommitted changes). Returns what was built and how long it took.
 */
export function ensureStackImages(version: string): { built: string[]; seconds: number; output: string } {
  const revision = headRevision();
  const stale = STACK_IMAGES.filter((name) => {
    if (process.env.CS_TEST_REBUILD_IMAGES === '1') return true;
    const built = imageLabel(`consul-sidecars/${name}:${version}`, 'org.opencontainers.image.revision');
    return built === undefined || (revision !== undefined && built !== revision);
  });
  if (stale.length === 0) return { built: [], seconds: 0, output: '' };
  const started = Date.now();
  const build = spawnSync('bash', [join(REPO, 'scripts', 'build-images.sh'), '--version', version, ...stale], { encoding: 'utf8', timeout: 600_000 });
  const output = `${build.stdout}${build.stderr}`;
  if (build.status !== 0) throw new Error(`scripts/build-images.sh failed (${build.status ?? build.signal}):\n${output}`);
  return { built: stale, seconds: (Date.now() - started) / 1000, output };
}

function composeEnvironment(profiles: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { COMPOSE_PROFILES: profiles };
  for (const name of ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY', 'TMPDIR']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

/** A docker-compose project driven as an operator would: -p, -f files, --env-file, COMPOSE_PROFILES. */
export class ComposeProject {
  constructor(
    readonly name: string,
    private readonly files: string[],
    private readonly envFile?: string,
    private readonly profiles = '',
  ) {}

  private argv(args: string[]): string[] {
    return ['-p', this.name, ...this.files.flatMap((f) => ['-f', f]), ...(this.envFile ? ['--env-file', this.envFile] : []), ...args];
  }

  /** Runs docker-compose; throws with its output on failure. */
  async run(args: string[], timeoutMs = 120_000): Promise<string> {
    try {
      const { stdout, stderr } = await run('docker-compose', this.argv(args), {
        encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024,
        // Only what docker-compose needs to find the engine: a variable of the shell would beat the env file's.
        env: composeEnvironment(this.profiles),
      });
      return `${stdout}${stderr}`;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`docker-compose ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }

  /** Container ids of one service (running only unless `all`), by compose's own labels. */
  containers(service: string, all = false): string[] {
    return execFileSync('docker', ['ps', ...(all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.name}`,
      '--filter', `label=com.docker.compose.service=${service}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  /** The last lines of every service's log, for a failure message. */
  async logs(tail = 40): Promise<string> {
    try {
      return await this.run(['logs', '--no-color', `--tail=${tail}`], 30_000);
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** `down -v --remove-orphans`, never throwing (cleanup keeps going). */
  async down(): Promise<string> {
    try {
      return await this.run(['down', '-v', '--remove-orphans', '-t', '10'], 120_000);
    } catch (err) {
      return (err as Error).message;
    }
  }
}

/** The health status Docker reports for a container's HEALTHCHECK ('' when it has none). */
export function healthOf(container: string): string {
  const result = spawnSync('docker', ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', container], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'gone';
}

/** GET on 127.0.0.1:port with a Host header (nginx's virtual hosts); a fresh connection each time. */
export function getVia(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** GET of a JSON document over HTTPS, trusting only `ca`. */
export function getJsonTls(url: string, ca: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400) return reject(new Error(`${url}: ${res.statusCode} ${body}`));
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Local addresses of the TCP listeners on these ports (from `ss`), to prove nothing listens beyond loopback. */
export function listenersOn(ports: number[]): Array<{ address: string; port: number }> {
  const result = spawnSync('ss', ['-Hltn'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ss -Hltn failed: ${result.stderr}`);
  const wanted = new Set(ports);
  return result.stdout.split('\n').flatMap((line) => {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /^(.*):(\d+)$/.exec(local) : null;
    return m && wanted.has(Number(m[2])) ? [{ address: m[1], port: Number(m[2]) }] : [];
  });
}
