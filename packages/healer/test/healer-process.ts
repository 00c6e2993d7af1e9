// Test support: the healer bin as a child process (the real daemon, killable with SIGKILL), its output and /metrics.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const HEALER_BIN = join(__dirname, '..', 'bin', 'healer.js');

export interface HealerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnHealer(args: readonly string[], env: NodeJS.ProcessEnv = {}): HealerProcess {
  const child = spawn(process.execPath, [HEALER_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

export async function killHealer(h: HealerProcess | undefined): Promise<void> {
  if (!h || h.child.exitCode !== null || h.child.signalCode !== null) return;
  h.child.kill('SIGKILL');
  await h.exited;
}

/** The exit of `h` within `timeoutMs`, or undefined when it still runs then. */
export function exitWithin(h: HealerProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  return Promise.race([h.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref())]);
}

/** The value of one sample line of /metrics (`name{labels}`), or 0 when absent. */
export function sample(metrics: string, series: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Sum of a metric's samples over all label sets. */
export function sampleSum(metrics: string, name: string): number {
  return metrics.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
