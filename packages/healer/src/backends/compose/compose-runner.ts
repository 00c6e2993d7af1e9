// Runs `docker-compose ... up -d --no-deps --no-recreate --scale svc=N svc` with a timeout, and classifies its failures.

import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { crashPoint } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../../crash-points';
import { healerError } from '../../errors';
import type { ComposeTarget } from './compose-target';

export type ComposeFailure = 'image-missing' | 'port-conflict' | 'name-conflict' | 'timeout' | 'compose-error';

export interface ComposeResult {
  ok: boolean;
  failure?: ComposeFailure;
  /** Failures that would fail again the same way if retried unchanged. */
  deterministic: boolean;
  exitCode: number | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  argv: string[];
}

export interface ComposeRunnerOptions {
  /** The compose executable and any leading arguments, e.g. ['docker-compose'] or ['docker', 'compose']. */
  command?: string[];
  timeoutMs?: number;
  logger?: Logger;
  /** Called after every run (metrics, tests counting runs). */
  onRun?: (target: ComposeTarget, result: ComposeResult) => void;
}

const RULES: Array<{ failure: ComposeFailure; deterministic: boolean; pattern: RegExp }> = [
  // Concurrent compose runs race on container names (docker/compose#4688): re-observing and retrying later is right.
  { failure: 'name-conflict', deterministic: false, pattern: /Conflict\. The container name|is already in use by container/i },
  { failure: 'port-conflict', deterministic: true, pattern: /port is already allocated|address already in use|Bind for [^ ]+ failed/i },
  {
    failure: 'image-missing',
    deterministic: true,
    pattern: /pull access denied|manifest (for [^ ]+ )?(not found|unknown)|repository does not exist|No such image|image [^ ]+ not found|not found: manifest unknown/i,
  },
];

/** Names the failure from compose's output; unknown errors are `compose-error` (config errors fail the same way again). */
export function classifyComposeFailure(output: string, timedOut = false): { failure: ComposeFailure; deterministic: boolean } {
  if (timedOut) return { failure: 'timeout', deterministic: false };
  for (const rule of RULES) if (rule.pattern.test(output)) return { failure: rule.failure, deterministic: rule.deterministic };
  // Invalid compose files and unknown services are deterministic; anything else may be transient (daemon hiccups).
  const configError = /is invalid because|No such service|Unsupported config option|yaml|ERROR: .*file .* not found|Can't find a suitable configuration file|Couldn't find env file/i.test(output);
  return { failure: 'compose-error', deterministic: configError };
}

/** The argument array (never a shell string) for scaling one compose service to `total` containers. */
export function composeScaleArgs(target: ComposeTarget, total: number): string[] {
  if (!Number.isInteger(total) || total < 0) throw healerError('ERR_SCALE', `invalid scale ${total}`, { total });
  return [
    '-p', target.composeProject,
    '-f', target.composeFile,
    'up', '-d', '--no-deps', '--no-recreate',
    '--scale', `${target.composeService}=${total}`,
    target.composeService,
  ];
}

const MAX_OUTPUT = 64 * 1024;

export class ComposeRunner {
  private readonly command: string[];
  private readonly timeoutMs: number;
  private readonly logger?: Logger;
  private readonly onRun?: ComposeRunnerOptions['onRun'];
  /** Runs started so far (every outcome). */
  runs = 0;

  constructor(options: ComposeRunnerOptions = {}) {
    this.command = options.command?.length ? options.command : ['docker-compose'];
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.logger = options.logger;
    this.onRun = options.onRun;
  }

  scale(target: ComposeTarget, total: number, timeoutMs = this.timeoutMs): Promise<ComposeResult> {
    const [file, ...lead] = this.command;
    const argv = [...lead, ...composeScaleArgs(target, total)];
    const env: NodeJS.ProcessEnv = { ...process.env, COMPOSE_INTERACTIVE_NO_CLI: '1' };
    if (target.dockerHost) env.DOCKER_HOST = target.dockerHost;
    crashPoint(CRASH_POINTS.beforeComposeRun);
    this.runs++;
    const started = Date.now();
    this.logger?.info({ project: target.composeProject, service: target.composeService, total, argv: [file, ...argv] }, 'running compose');
    return new Promise((resolve) => {
      execFile(file, argv, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT * 4, encoding: 'utf8' }, (err, stdout, stderr) => {
        const durationMs = Date.now() - started;
        const tail = (text: string) => (text.length > MAX_OUTPUT ? text.slice(-MAX_OUTPUT) : text);
        const failed = err as (Error & { code?: number | string; killed?: boolean; signal?: string }) | null;
        const timedOut = Boolean(failed?.killed && durationMs >= timeoutMs - 50);
        const exitCode = failed ? (typeof failed.code === 'number' ? failed.code : null) : 0;
        const result: ComposeResult = { ok: !failed, deterministic: false, exitCode, durationMs, stdout: tail(stdout ?? ''), stderr: tail(stderr ?? ''), argv: [file, ...argv] };
        if (failed) {
          // A missing executable is an error of our own setup: it would fail again.
          if (failed.code === 'ENOENT') Object.assign(result, { failure: 'compose-error', deterministic: true, stderr: `${file}: not found` });
          else Object.assign(result, classifyComposeFailure(`${stderr}\n${stdout}`, timedOut));
        }
        const log = { project: target.composeProject, service: target.composeService, total, exitCode, durationMs, stderr: result.stderr.trim().slice(-4000), stdout: result.stdout.trim().slice(-4000) };
        if (result.ok) this.logger?.info(log, 'compose finished');
        else this.logger?.error({ ...log, failure: result.failure, deterministic: result.deterministic }, 'compose failed');
        if (result.ok) crashPoint(CRASH_POINTS.afterComposeRun);
        this.onRun?.(target, result);
        resolve(result);
      });
    });
  }
}
