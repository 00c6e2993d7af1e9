// Runs validate and reload commands: an argument array directly, a string through `sh -c`; with a timeout that
// kills the whole process group, and the output kept (nginx's own error message is what the operator needs).

import { spawn } from 'node:child_process';
import type { CommandSpec } from '../config';

export interface CommandResult {
  ok: boolean;
  /** Exit code, or null when killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The command as run, for logs. */
  command: string;
  /** Stopped by the caller's signal (the renderer shutting down): its whole process group was killed and reaped. */
  aborted?: boolean;
}

export interface CommandOptions {
  timeoutMs: number;
  /** `{{name}}` placeholders replaced in the command (e.g. candidate, destination). */
  placeholders?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * The renderer is stopping: a command still running `stopGraceMs` after the abort (default 2500) gets SIGTERM to its
   * process group, SIGKILL `killGraceMs` later (default 1000); the result comes once it has exited. Both fit in the
   * 5 s a SIGTERM'd daemon has, and a quick command (nginx -s reload) is left to finish.
   */
  signal?: AbortSignal;
  stopGraceMs?: number;
  killGraceMs?: number;
}

/** When each stop signal was first seen aborted: every command shares one grace period from it. */
const abortedAt = new WeakMap<AbortSignal, number>();

const OUTPUT_LIMIT = 64 * 1024;

/** Single-quotes a value for `sh -c` so a path with spaces or quotes stays one word. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function hasPlaceholder(spec: CommandSpec | undefined, name: string): boolean {
  if (spec === undefined) return false;
  const pattern = new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`);
  return (Array.isArray(spec) ? spec : [spec]).some((part) => pattern.test(part));
}

function substitute(text: string, placeholders: Record<string, string>, quote: boolean): string {
  return text.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (whole, name: string) => {
    const value = placeholders[name];
    if (value === undefined) return whole;
    return quote ? shellQuote(value) : value;
  });
}

/** The argv a spec runs as: strings go through `sh -c` (placeholders shell-quoted), arrays run as they are. */
export function commandArgv(spec: CommandSpec, placeholders: Record<string, string> = {}): string[] {
  if (Array.isArray(spec)) return spec.map((part) => substitute(part, placeholders, false));
  return ['/bin/sh', '-c', substitute(spec, placeholders, true)];
}

/** A stable text for a command after substitution: commands with the same text run once per batch. */
export function commandText(spec: CommandSpec, placeholders: Record<string, string> = {}): string {
  const argv = commandArgv(spec, placeholders);
  return Array.isArray(spec) ? argv.map(shellQuote).join(' ') : argv[2];
}

export function runCommand(spec: CommandSpec, options: CommandOptions): Promise<CommandResult> {
  const argv = commandArgv(spec, options.placeholders);
  const command = commandText(spec, options.placeholders);
  const started = Date.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (result: Omit<CommandResult, 'stdout' | 'stderr' | 'durationMs' | 'command' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, ok: result.ok && !timedOut && !aborted, timedOut, stdout, stderr, durationMs: Date.now() - started, command, ...(aborted ? { aborted } : {}) });
    };
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // detached: the child leads its own process group, so `sh -c` and what it started are signalled together.
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    function onAbort() {
      const signal = options.signal;
      if (settled || graceTimer || !signal) return;
      if (!abortedAt.has(signal)) abortedAt.set(signal, Date.now());
      const left = Math.max(0, (abortedAt.get(signal) ?? 0) + (options.stopGraceMs ?? 2500) - Date.now());
      graceTimer = setTimeout(() => {
        if (settled) return;
        aborted = true;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 1000);
      }, left);
    }
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (err) => {
      stderr += `${err.message}\n`;
      finish({ ok: false, code: null, signal: null });
    });
    child.on('close', (code, signal) => finish({ ok: code === 0, code, signal }));
  });
}

/** One line for logs: the command's stderr (else stdout), trimmed, or why it ended. */
export function describeFailure(result: CommandResult): string {
  if (result.aborted) return `stopped after ${result.durationMs} ms: the renderer is shutting down`;
  if (result.timedOut) return `timed out after ${result.durationMs} ms`;
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').filter(Boolean).slice(-5).join(' | ');
  const end = result.code === null ? `killed by ${result.signal ?? 'error'}` : `exit ${result.code}`;
  return output ? `${end}: ${output}` : end;
}
