// The built `f5-sync` binary as a child process for tests: its JSON log lines, its exit, a config file for the stand-ins.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import axios from 'axios';
import { PASSWORD, waitFor, type Env } from './support';

export { fileConfig } from './support';

export const BIN = join(__dirname, '..', 'bin', 'f5-sync.js');

export interface Child {
  process: ChildProcess;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export function startChild(args: string[], extraEnv: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, BIGIP_PASSWORD: PASSWORD, LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ text: line });
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, lines, exited };
}

export async function metricsText(child: Child): Promise<string> {
  const line = await waitFor(() => child.lines.find((l) => l.msg === 'serving /metrics and /health'), { timeoutMs: 10_000, message: 'metrics url logged' });
  return (await axios.get(`${line.url as string}/metrics`, { proxy: false })).data as string;
}

export function writeCalls(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/^f5sync_icontrol_calls_total\{method="(POST|PATCH|PUT|DELETE)",outcome="[a-z_]+"\} (\d+)/gm)) total += Number(match[2]);
  return total;
}


/** Kills (SIGKILL) every child still running and empties the list: the afterEach of the process tests. */
export async function killChildren(children: Array<Child | undefined>): Promise<void> {
  for (const child of children.splice(0)) {
    if (!child || child.process.exitCode !== null || child.process.signalCode !== null) continue;
    child.process.kill('SIGKILL');
    await child.exited;
  }
}
