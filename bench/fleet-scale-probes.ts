// What the fleet-scale benchmark reads off processes and daemons' outputs: CPU time from /proc, TCP connections
// a process holds to a port, the members of a rendered nginx file and of a pushed-upstream dump.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU seconds of a process: its own (user + system) and its waited-for children's (nginx -t, nginx -s reload). */
export function cpuSeconds(pid: number): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name in parentheses (which may contain spaces): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = (n: number) => Number(fields[n - 3]);
  return { self: (at(14) + at(15)) / TICKS_PER_SECOND, children: (at(16) + at(17)) / TICKS_PER_SECOND };
}

/**
 * Established TCP connections from process `pid` to `port` on loopback: the process's socket inodes (/proc/<pid>/fd)
 * matched against /proc/net/tcp{,6}. Cheap, unlike `ss -p` (which reads every process's fds on the machine).
 */
export function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed between the listing and the read
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[2] remote address:port, f[3] state (01 established), f[9] inode
      if (f.length > 9 && f[3] === '01' && f[2].endsWith(`:${hexPort}`) && inodes.has(f[9])) count++;
    }
  }
  return count;
}

/** "address:port" of every server line in the upstream blocks of a rendered nginx file. */
export function renderedMembers(text: string): Set<string> {
  const members = new Set<string>();
  for (const match of text.matchAll(/^\s+server (\d+\.\d+\.\d+\.\d+:\d+)[ ;]/gm)) members.add(match[1]);
  return members;
}

/** "address:port" of every pushed peer not marked down, from GET <admin>/upstreams. */
export function pushedMembers(body: string): Set<string> {
  const dump = JSON.parse(body) as { upstreams?: Record<string, { peers?: Array<{ address: string; port: number; down?: boolean }> }> };
  const members = new Set<string>();
  for (const upstream of Object.values(dump.upstreams ?? {})) {
    for (const peer of upstream.peers ?? []) if (!peer.down) members.add(`${peer.address}:${peer.port}`);
  }
  return members;
}
