// Running the machine's own tools (ip, iptables, nsenter, mount) for the testbed: an error names the command and
// what it printed; `attempt` is for cleanup steps that may find nothing to do.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

export function run(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', input: options.input, timeout: options.timeoutMs ?? 60_000, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string; message: string };
    const said = `${failure.stderr ?? ''}${failure.stdout ?? ''}`.trim() || failure.message;
    throw new Error(`testbed: ${command} ${args.join(' ')} failed: ${said}`);
  }
}

/** Runs a cleanup step; returns false (and says nothing) when it fails, e.g. because the object is already gone. */
export function attempt(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs a command inside a host's network namespace (nsenter, not `ip netns exec`, which remounts /sys). */
export function runInNetns(netnsPath: string, command: string, args: readonly string[]): string {
  return run('nsenter', [`--net=${netnsPath}`, '--', command, ...args]);
}

/** The mount points below any of the given roots, deepest first (the order they must be unmounted in). */
export function mountsBelow(roots: readonly string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => Boolean(point))
    .map((point) => point.replace(/\\040/g, ' '))
    .filter((point) => roots.some((root) => point === root || point.startsWith(`${root}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export function unmountAll(points: readonly string[]): void {
  for (const point of points) attempt('umount', ['-l', point]);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every pid on the machine, read from /proc. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** The network namespace a process is in, as the inode link /proc/<pid>/ns/net reads ("net:[4026532]"). */
export function netnsOfPid(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** The identity of a named namespace file, in the same form netnsOfPid gives. */
export function netnsIdentity(netnsPath: string): string | undefined {
  try {
    return `net:[${statSync(netnsPath).ino}]`;
  } catch {
    return undefined;
  }
}

export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

export function killPids(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
