// Runs the `renderer` bin to its exit with a deadline, capturing stdout and stderr (for CLI tests; not a test file).

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const RENDERER_BIN = join(__dirname, '..', 'bin', 'renderer.js');

export interface BinExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runRendererBin(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<BinExit> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RENDERER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`renderer did not exit in ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `renderer` left running (daemon mode): its output so far, its exit, a signal; `stop()` kills it if still up. */
export interface RunningBin {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startRendererBin(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): RunningBin {
  const child = spawn(process.execPath, [RENDERER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
