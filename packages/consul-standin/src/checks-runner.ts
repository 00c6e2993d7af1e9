// Runs the agent's checks: HTTP and TCP probes and script checks on their intervals, and TTL
// timers that turn a check critical when it is not fed in time.

import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Catalog, CheckRecord, HealthStatus } from './catalog';
import { formatGoDuration } from './duration';
import { internal } from './errors';

const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
const DEFAULT_TCP_TIMEOUT_MS = 10_000;
const DEFAULT_SCRIPT_TIMEOUT_MS = 30_000;
/** Consul keeps at most 4 KiB of a check's output. */
const MAX_OUTPUT_BYTES = 4096;

export interface CheckRunnerOptions {
  minIntervalMs: number;
  enableScriptChecks: boolean;
}

interface Running {
  generation: number;
  timer?: NodeJS.Timeout;
  lastTtlOutput: string;
}

type ProbeResult = { status: HealthStatus; output: string };

function truncate(text: string): string {
  return text.length > MAX_OUTPUT_BYTES ? `${text.slice(0, MAX_OUTPUT_BYTES)} ...(truncated)` : text;
}

export class ChecksRunner {
  private readonly running = new Map<string, Running>();
  private generation = 0;
  private stopped = false;

  constructor(private readonly catalog: Catalog, private readonly options: CheckRunnerOptions) {
    catalog.addListener({
      checkDefined: (check) => this.start(check),
      checkRemoved: (check, node) => {
        if (node.local) this.cancel(check.checkId);
      },
    });
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.running.keys()]) this.cancel(id);
  }

  /** Feeds a TTL check (agent/check/pass|warn|fail|update). */
  updateTtl(checkId: string, status: HealthStatus, output: string): void {
    const check = this.catalog.checks.get(checkId);
    if (!check) return;
    if (check.definition.ttlMs === undefined) throw internal(`CheckID "${checkId}" does not have associated TTL`);
    const running = this.running.get(checkId);
    if (running) running.lastTtlOutput = output;
    this.catalog.updateCheck(checkId, status, truncate(output));
    this.armTtl(checkId);
  }

  private start(check: CheckRecord): void {
    this.cancel(check.checkId);
    if (this.stopped) return;
    const running: Running = { generation: ++this.generation, lastTtlOutput: '' };
    this.running.set(check.checkId, running);
    const { definition } = check;
    if (definition.ttlMs !== undefined) {
      this.armTtl(check.checkId);
      return;
    }
    const probe = this.probeFor(check);
    if (!probe) return;
    const interval = Math.max(definition.intervalMs ?? this.options.minIntervalMs, this.options.minIntervalMs);
    const loop = (): void => {
      probe()
        .catch((err: unknown): ProbeResult => ({ status: 'critical', output: String((err as Error).message ?? err) }))
        .then((result) => {
          if (this.running.get(check.checkId)?.generation !== running.generation) return;
          this.catalog.updateCheck(check.checkId, result.status, truncate(result.output));
          running.timer = setTimeout(loop, interval).unref();
        });
    };
    running.timer = setTimeout(loop, 0).unref();
  }

  private armTtl(checkId: string): void {
    const running = this.running.get(checkId);
    const check = this.catalog.checks.get(checkId);
    if (!running || !check || check.definition.ttlMs === undefined) return;
    if (running.timer) clearTimeout(running.timer);
    running.timer = setTimeout(() => {
      const last = running.lastTtlOutput;
      const output = last ? `TTL expired (last output before timeout follows): ${last}` : 'TTL expired';
      this.catalog.updateCheck(checkId, 'critical', truncate(output));
    }, check.definition.ttlMs).unref();
  }

  private cancel(checkId: string): void {
    const running = this.running.get(checkId);
    if (running?.timer) clearTimeout(running.timer);
    this.running.delete(checkId);
  }

  private probeFor(check: CheckRecord): (() => Promise<ProbeResult>) | undefined {
    const { definition } = check;
    if (definition.http) return () => httpProbe(check);
    if (definition.tcp) return () => tcpProbe(definition.tcp as string, definition.timeoutMs ?? DEFAULT_TCP_TIMEOUT_MS);
    if (definition.args && definition.args.length > 0 && this.options.enableScriptChecks) {
      return () => scriptProbe(definition.args as string[], definition.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS);
    }
    return undefined;
  }
}

function httpProbe(check: CheckRecord): Promise<ProbeResult> {
  const { definition } = check;
  const url = definition.http as string;
  const method = (definition.method || 'GET').toUpperCase();
  const timeoutMs = definition.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const goMethod = method.charAt(0) + method.slice(1).toLowerCase();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      finish({ status: 'critical', output: `${goMethod} "${url}": unsupported protocol scheme ""` });
      return;
    }
    const headers: Record<string, string> = { 'User-Agent': 'Consul Health Check', Accept: 'text/plain, text/*, */*' };
    for (const [name, values] of Object.entries(definition.header ?? {})) headers[name] = values.join(', ');
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method,
      headers,
      agent: false,
      rejectUnauthorized: !definition.tlsSkipVerify,
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish({
        status: 'critical',
        output: `${goMethod} "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      });
    }, timeoutMs);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_OUTPUT_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      response.on('end', () => {
        clearTimeout(timer);
        const code = response.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        const output = `HTTP ${method} ${url}: ${code} ${response.statusMessage ?? ''} Output: ${body}`;
        const status: HealthStatus = code >= 200 && code <= 299 ? 'passing' : code === 429 ? 'warning' : 'critical';
        finish({ status, output });
      });
      response.on('error', (err) => {
        clearTimeout(timer);
        finish({ status: 'critical', output: `${goMethod} "${url}": ${err.message}` });
      });
    });
    request.on('error', (err) => {
      clearTimeout(timer);
      finish({ status: 'critical', output: `${goMethod} "${url}": ${err.message}` });
    });
    request.end(definition.body ?? undefined);
  });
}

function tcpProbe(address: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(at + 1));
    const socket = net.connect({ host, port });
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ status: 'critical', output: `dial tcp ${address}: i/o timeout` }), timeoutMs);
    socket.on('connect', () => finish({ status: 'passing', output: `TCP connect ${address}: Success` }));
    socket.on('error', (err) => finish({ status: 'critical', output: `dial tcp ${address}: ${err.message}` }));
  });
}

/** Exit 0 passes, exit 1 warns, anything else is critical, as Consul's script checks. */
function scriptProbe(args: string[], timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(args[0] as string, args.slice(1), { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (!err) return resolve({ status: 'passing', output });
      const failure = err as Error & { killed?: boolean; code?: number | string };
      if (failure.killed) return resolve({ status: 'critical', output: `Timed out (${formatGoDuration(timeoutMs)}) running check` });
      if (Number(failure.code) === 1) return resolve({ status: 'warning', output });
      resolve({ status: 'critical', output: output || failure.message });
    });
  });
}
