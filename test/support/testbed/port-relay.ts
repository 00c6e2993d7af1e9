// Reaching across the namespace boundary over unix sockets: a host's port shown on the root's loopback (for the
// test's own requests), and a root loopback port shown inside a host (a stand-in the host's daemons talk to).

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { spawnInHost } from './host-processes';
import type { HostLayout } from './layout';
import { processAlive } from './system';

const FORWARDER = join(__dirname, 'forwarder.cjs');

export interface Relay {
  /** The port to connect to: on the root's 127.0.0.1 (exposeToRoot) or on the host's 127.0.0.1 (importIntoHost). */
  port: number;
  close(): Promise<void>;
  /** Opens the same relay again (same ports), e.g. after the host was killed and brought back. */
  reopen(): Promise<Relay>;
}

function pipeSockets(inbound: Socket, outbound: Socket): void {
  inbound.pipe(outbound).pipe(inbound);
  const end = (): void => {
    inbound.destroy();
    outbound.destroy();
  };
  inbound.on('error', end);
  outbound.on('error', end);
  inbound.on('close', end);
  outbound.on('close', end);
}

async function listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => resolve());
  });
}

async function waitForPath(path: string, deadlineMs: number, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`testbed: ${what} did not come up within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForLine(path: string, line: string, deadlineMs: number, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text.includes(line)) return;
    if (Date.now() > deadline) throw new Error(`testbed: ${what} did not come up within ${deadlineMs} ms: ${text.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopForwarder(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  child.kill('SIGKILL');
  // Polled, not awaited on 'exit': the child is unref'd, so an await on its exit event alone would let a process
  // with nothing else to do end right here.
  const deadline = Date.now() + 5_000;
  while (child.exitCode === null && child.signalCode === null && processAlive(child.pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Shows `address:port` inside the host on the root's 127.0.0.1 (an ephemeral port unless given). */
export async function exposeToRoot(host: HostLayout, targetPort: number, targetAddress = '127.0.0.1', rootPort = 0): Promise<Relay> {
  const socketPath = `${host.runDir}/out-${targetAddress}-${targetPort}.sock`;
  const forwarder = spawnInHost(host, process.execPath, [FORWARDER, '--listen', `unix:${socketPath}`, '--connect', `tcp:${targetAddress}:${targetPort}`], {
    logFile: `${host.runDir}/relay-out-${targetPort}.log`,
  });
  await waitForPath(socketPath, 5_000, `the relay to ${host.name} ${targetAddress}:${targetPort}`);
  const server = createServer((inbound) => pipeSockets(inbound, createConnection({ path: socketPath })));
  await listen(server, { port: rootPort, host: '127.0.0.1' });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    reopen: () => exposeToRoot(host, targetPort, targetAddress, port),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await stopForwarder(forwarder);
      rmSync(socketPath, { force: true });
    },
  };
}

/** Shows the root's 127.0.0.1:rootPort inside the host on its own 127.0.0.1:hostPort (the same port unless given). */
export async function importIntoHost(host: HostLayout, rootPort: number, hostPort = rootPort): Promise<Relay> {
  const socketPath = `${host.runDir}/in-${rootPort}.sock`;
  rmSync(socketPath, { force: true });
  const server = createServer((inbound) => pipeSockets(inbound, createConnection({ port: rootPort, host: '127.0.0.1' })));
  await listen(server, { path: socketPath });
  const logFile = `${host.runDir}/relay-in-${hostPort}.log`;
  rmSync(logFile, { force: true });
  const forwarder = spawnInHost(host, process.execPath, [FORWARDER, '--listen', `tcp:127.0.0.1:${hostPort}`, '--connect', `unix:${socketPath}`], { logFile });
  await waitForLine(logFile, 'forwarder: ready', 5_000, `the relay into ${host.name} 127.0.0.1:${hostPort}`);
  return {
    port: hostPort,
    reopen: () => importIntoHost(host, rootPort, hostPort),
    async close() {
      await stopForwarder(forwarder);
      await new Promise((resolve) => server.close(resolve));
      rmSync(socketPath, { force: true });
    },
  };
}
