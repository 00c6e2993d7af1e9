// Runs the `renderer` bin to its exit with a deadline, capturing stdout and stderr (for CLI tests; not a test file).

import { spawn } from 'node:child_process';
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
