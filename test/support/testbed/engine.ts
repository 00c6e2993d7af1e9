// One Docker engine per host: dockerd started inside the host's namespace with its own data-root, exec-root,
// socket, pidfile and cgroup parent, no bridge and no iptables of its own; images loaded from the main engine.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { HostLayout } from './layout';
import { attempt, mountsBelow, processAlive, run, unmountAll } from './system';

export function engineAnswers(host: HostLayout): boolean {
  return existsSync(host.dockerSocket) && attempt('docker', ['-H', host.dockerHost, 'version', '--format', '{{.Server.Version}}']);
}

export function enginePid(host: HostLayout): number | undefined {
  try {
    const pid = Number(readFileSync(host.dockerPidfile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the host's dockerd detached (it outlives nothing it should not: the testbed ends it) and waits for it. */
export async function startEngine(host: HostLayout, deadlineMs = 60_000): Promise<void> {
  mkdirSync(host.runDir, { recursive: true });
  mkdirSync(host.dataDir, { recursive: true });
  // Each engine its own key, so each has its own engine ID (swarm tells nodes apart by it).
  writeFileSync(host.dockerConfigFile, JSON.stringify({ 'deprecated-key-path': `${host.dataDir}/key.json` }));
  const log = openSync(host.dockerLog, 'a');
  try {
    const child = spawn(
      'nsenter',
      [
        `--net=${host.netnsPath}`,
        '--',
        'dockerd',
        '--config-file', host.dockerConfigFile,
        '--data-root', host.dockerDataRoot,
        '--exec-root', host.dockerExecRoot,
        '-H', host.dockerHost,
        '--pidfile', host.dockerPidfile,
        '--bridge', 'none',
        '--iptables=false',
        '--ip-masq=false',
        '--cgroup-parent', host.cgroupParent,
      ],
      // Swarm would try to pull the image at every task start; nothing can be pulled here.
      { detached: true, stdio: ['ignore', log, log], env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' } },
    );
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + deadlineMs;
  while (!engineAnswers(host)) {
    if (Date.now() > deadline) {
      const tail = existsSync(host.dockerLog) ? readFileSync(host.dockerLog, 'utf8').split('\n').filter((line) => !line.includes('module=grpc')).slice(-15).join('\n') : '';
      throw new Error(`testbed host ${host.name}: dockerd did not answer on ${host.dockerHost} within ${deadlineMs} ms; its log ends:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stops the engine as a service manager would (SIGTERM, then waits); containers are left to their restart policies. */
export async function stopEngine(host: HostLayout, deadlineMs = 30_000): Promise<void> {
  const pid = enginePid(host);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + deadlineMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`testbed host ${host.name}: dockerd ${pid} did not stop within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What a dead host's reboot clears: runtime state under the exec-root (a tmpfs on a real host) and the mounts the
 * killed engine left. Without it a new dockerd trusts a stale containerd.pid whose number another process now has.
 */
export function clearRuntimeState(host: HostLayout): void {
  unmountAll(mountsBelow([host.dockerExecRoot, host.dockerDataRoot]));
  rmSync(host.dockerExecRoot, { recursive: true, force: true });
  rmSync(host.dockerPidfile, { force: true });
  rmSync(host.dockerSocket, { force: true });
}

/** Saves images of the main engine to one archive, for loading into every host's engine (there is no registry). */
export function saveImages(tags: readonly string[], archivePath: string): void {
  run('docker', ['save', '-o', archivePath, ...tags], { timeoutMs: 180_000 });
}

export function loadImages(host: HostLayout, archivePath: string): void {
  run('docker', ['-H', host.dockerHost, 'load', '-q', '-i', archivePath], { timeoutMs: 180_000 });
}

/** `docker -H <host> ...` for the host's engine. */
export function dockerOn(host: HostLayout, args: readonly string[], timeoutMs = 60_000): string {
  return run('docker', ['-H', host.dockerHost, ...args], { timeoutMs }).trim();
}
