// Processes for the crash and push tests: the renderer bin with its output kept, and loopback HTTP backends that
// answer their own name (which instance a request reached). Not a test file itself.

import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { TestConsul } from '../../../test/support/consul';
import { RENDERER_BIN } from './run-bin';

export interface Backend {
  name: string;
  port: number;
  close: () => Promise<void>;
}

/** An HTTP server on a free loopback port answering its own name: which instance a request reached. */
export async function startBackend(name: string): Promise<Backend> {
  const server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { name, port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface RendererProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export function spawnRendererBin(args: string[], env: NodeJS.ProcessEnv = {}): RendererProcess {
  const child = spawn(process.execPath, [RENDERER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => out };
}

export async function stopRenderer(r: RendererProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  if (!r) return undefined;
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill(signal);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 8000);
  try {
    return await r.exited;
  } finally {
    clearTimeout(timer);
  }
}


/** Registers exactly the named backends as instances of `service` (ids `<service>-<name>`), remembering which are in. */
export function consulInstances(consul: () => TestConsul, service: string, backends: () => Backend[]) {
  const registered = new Set<string>();
  return {
    registered,
    async set(names: string[]): Promise<void> {
      for (const b of backends()) {
        const want = names.includes(b.name);
        if (want && !registered.has(b.name)) await consul().client.agent.service.register({ name: service, id: `${service}-${b.name}`, address: '127.0.0.1', port: b.port });
        if (!want && registered.has(b.name)) await consul().client.agent.service.deregister(`${service}-${b.name}`);
        if (want) registered.add(b.name);
        else registered.delete(b.name);
      }
    },
  };
}
