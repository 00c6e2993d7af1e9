// Processes of a host: started inside its namespace (nsenter --net), and found again by the namespace they are
// in, so that "kill the host" ends its engine, containerd, shims, containers, agent and daemons alike.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HostLayout } from './layout';
import { allPids, killPids, netnsIdentity, netnsOfPid, processAlive } from './system';

export interface HostProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/** Starts a command inside the host's namespace; the child is detached so that a kill of the host is a kill -9. */
export function spawnInHost(host: HostLayout, command: string, args: readonly string[], options: HostProcessOptions): ChildProcess {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn('nsenter', [`--net=${host.netnsPath}`, '--', command, ...args], {
      detached: true,
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', log, log],
    });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Every process in the host's network namespace (the namespace file is the host's identity). */
export function pidsInHost(host: HostLayout): number[] {
  const identity = netnsIdentity(host.netnsPath);
  if (identity === undefined) return [];
  return allPids().filter((pid) => pid !== process.pid && netnsOfPid(pid) === identity);
}

/** Pids in the host's container cgroups (containers outlive a kill -9 of dockerd and containerd). */
export function pidsInCgroups(cgroupParent: string): number[] {
  const pids: number[] = [];
  const root = `/sys/fs/cgroup/pids/${cgroupParent}`;
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return;
    const procs = join(dir, 'cgroup.procs');
    if (existsSync(procs)) {
      for (const line of readFileSync(procs, 'utf8').split('\n')) if (line.trim()) pids.push(Number(line));
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(join(dir, entry.name));
  };
  visit(root);
  return pids;
}

/** kill -9 of everything the host runs; waits until none is left (or throws naming what survived). */
export async function killHostProcesses(host: HostLayout, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const pids = [...new Set([...pidsInHost(host), ...pidsInCgroups(host.cgroupParent)])].filter(processAlive);
    if (pids.length === 0) return;
    if (Date.now() > deadline) throw new Error(`testbed host ${host.name}: processes ${pids.join(', ')} survived kill -9`);
    killPids(pids, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
