// Finding and removing what testbeds leave behind, by the testbed prefix: namespaces, links, FORWARD rules, mounts,
// cgroups, processes and directories. A bed whose owner process is gone (a killed test run) is swept at start.

import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TESTBED_DATA_ROOT, TESTBED_PREFIX, TESTBED_RUN_ROOT, bedIdOf } from './layout';
import { allPids, attempt, commandLineOf, killPids, mountsBelow, netnsIdentity, netnsOfPid, processAlive, run, unmountAll } from './system';

const CGROUP_ROOT = '/sys/fs/cgroup';

function testbedNetns(): string[] {
  return run('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name): name is string => name !== undefined && name.startsWith(TESTBED_PREFIX));
}

function testbedLinks(): string[] {
  return run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name.startsWith(TESTBED_PREFIX));
}

function testbedForwardRules(): string[] {
  return run('iptables', ['-S', 'FORWARD'])
    .split('\n')
    .filter((rule) => new RegExp(`-i ${TESTBED_PREFIX}[a-z0-9]+-br `).test(rule));
}

function testbedCgroups(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  const found: string[] = [];
  for (const controller of readdirSync(CGROUP_ROOT)) {
    const dir = join(CGROUP_ROOT, controller);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) if (entry.startsWith(TESTBED_PREFIX) && bedIdOf(entry) !== undefined) found.push(join(dir, entry));
  }
  return found;
}

function testbedPids(): number[] {
  const namespaces = new Set(testbedNetns().map((name) => netnsIdentity(`/run/netns/${name}`)).filter(Boolean));
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    const netns = netnsOfPid(pid);
    if (netns !== undefined && namespaces.has(netns)) return true;
    const commandLine = commandLineOf(pid);
    return commandLine.includes(`${TESTBED_RUN_ROOT}/`) || commandLine.includes(`${TESTBED_DATA_ROOT}/`);
  });
}

/** What testbeds have left on this machine, one line per object; only the given bed's when an id is given. */
export function testbedLeftovers(bedId?: string): string[] {
  const mine = (name: string): boolean => bedId === undefined || bedIdOf(name) === bedId;
  const pathMine = (path: string): boolean => bedId === undefined || path.includes(`/${TESTBED_PREFIX}/${bedId}`) || path.includes(`/${TESTBED_PREFIX}${bedId}-`);
  return [
    ...testbedNetns().filter(mine).map((name) => `netns ${name}`),
    ...testbedLinks().filter(mine).map((name) => `link ${name}`),
    ...testbedForwardRules().filter((rule) => bedId === undefined || rule.includes(`${TESTBED_PREFIX}${bedId}-br`)).map((rule) => `iptables ${rule}`),
    ...mountsBelow([TESTBED_RUN_ROOT, TESTBED_DATA_ROOT]).filter(pathMine).map((point) => `mount ${point}`),
    ...testbedCgroups().filter((path) => mine(path.split('/').pop() ?? '')).map((path) => `cgroup ${path}`),
    ...testbedPids()
      .filter((pid) => bedId === undefined || commandLineOf(pid).includes(`/${TESTBED_PREFIX}/${bedId}/`) || testbedNetnsOf(pid, bedId))
      .map((pid) => `process ${pid} ${commandLineOf(pid).slice(0, 120)}`),
    ...[TESTBED_RUN_ROOT, TESTBED_DATA_ROOT].flatMap((root) =>
      (existsSync(root) ? readdirSync(root) : []).filter((id) => bedId === undefined || id === bedId).map((id) => `directory ${root}/${id}`),
    ),
  ];
}

function testbedNetnsOf(pid: number, bedId: string): boolean {
  const netns = netnsOfPid(pid);
  return testbedNetns().some((name) => bedIdOf(name) === bedId && netnsIdentity(`/run/netns/${name}`) === netns);
}

/** The ids of beds on this machine whose owner process is no longer alive (a killed run left them). */
export function orphanedBeds(): string[] {
  const ids = new Set<string>();
  for (const name of [...testbedNetns(), ...testbedLinks()]) {
    const id = bedIdOf(name);
    if (id !== undefined) ids.add(id);
  }
  for (const root of [TESTBED_RUN_ROOT, TESTBED_DATA_ROOT]) if (existsSync(root)) for (const id of readdirSync(root)) ids.add(id);
  return [...ids].filter((id) => {
    try {
      const owner = Number(readFileSync(`${TESTBED_RUN_ROOT}/${id}/owner`, 'utf8').trim());
      return !(owner > 0 && processAlive(owner));
    } catch {
      return true;
    }
  });
}

/** Removes everything a bed left: processes first (they hold mounts and namespaces), then mounts, wires, cgroups, files. */
export async function sweepBed(bedId: string): Promise<void> {
  const base = `${TESTBED_PREFIX}${bedId}-`;
  const namespaces = testbedNetns().filter((name) => name.startsWith(base));
  const identities = new Set(namespaces.map((name) => netnsIdentity(`/run/netns/${name}`)).filter(Boolean));
  const cgroups = testbedCgroups().filter((path) => (path.split('/').pop() ?? '').startsWith(base));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pids = allPids().filter((pid) => {
      if (pid === process.pid) return false;
      const netns = netnsOfPid(pid);
      return (netns !== undefined && identities.has(netns)) || commandLineOf(pid).includes(`${TESTBED_RUN_ROOT}/${bedId}/`) || commandLineOf(pid).includes(`${TESTBED_DATA_ROOT}/${bedId}/`);
    });
    const cgroupPids = cgroups.flatMap((path) => readProcs(path));
    const alive = [...new Set([...pids, ...cgroupPids])].filter(processAlive);
    if (alive.length === 0) break;
    if (Date.now() > deadline) throw new Error(`testbed sweep ${bedId}: processes ${alive.join(', ')} survived kill -9`);
    killPids(alive);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  unmountAll(mountsBelow([`${TESTBED_RUN_ROOT}/${bedId}`, `${TESTBED_DATA_ROOT}/${bedId}`]));
  for (const name of namespaces) attempt('ip', ['netns', 'del', name]);
  for (const link of testbedLinks().filter((name) => name.startsWith(base))) attempt('ip', ['link', 'del', link]);
  while (attempt('iptables', ['-D', 'FORWARD', '-i', `${base}br`, '-o', `${base}br`, '-j', 'ACCEPT'])) {
    // inserted twice, removed twice
  }
  for (const path of cgroups) removeCgroupTree(path);
  rmSync(`${TESTBED_RUN_ROOT}/${bedId}`, { recursive: true, force: true });
  rmSync(`${TESTBED_DATA_ROOT}/${bedId}`, { recursive: true, force: true });
}

function readProcs(cgroupDir: string): number[] {
  const pids: number[] = [];
  const visit = (dir: string): void => {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line.trim()) pids.push(Number(line));
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) visit(join(dir, entry.name));
    } catch {
      // gone meanwhile
    }
  };
  visit(cgroupDir);
  return pids;
}

function removeCgroupTree(dir: string): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
    attempt('rmdir', [dir]);
  } catch {
    // already gone
  }
}

/** Sweeps every bed whose owner is gone; returns their ids. */
export async function sweepOrphanedBeds(): Promise<string[]> {
  const ids = orphanedBeds();
  for (const id of ids) await sweepBed(id);
  return ids;
}
