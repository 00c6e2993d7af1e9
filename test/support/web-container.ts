// Starts busybox httpd containers that answer with their own name: the "web instances" of the tests.

import { execFileSync } from 'node:child_process';
import { OWNER_LABEL, sweepDeadOwners, TEST_LABEL } from './container-owner';
import { ensureBusyboxImage } from './docker-images';

export interface WebContainer {
  id: string;
  name: string;
  hostPort: number;
}

/** Runs `httpd` in a busybox container, publishing container port 80 on 127.0.0.1 (an ephemeral port unless given). */
export function startWebContainer(name: string, options: { labels?: Record<string, string>; env?: Record<string, string>; hostPort?: number; testLabel?: string } = {}): WebContainer {
  const image = ensureBusyboxImage();
  const kind = options.testLabel ?? 'true';
  sweepDeadOwners(kind);
  const args = ['run', '-d', '--name', name, '-p', `127.0.0.1:${options.hostPort ?? ''}:80`, '--label', `${TEST_LABEL}=${kind}`, '--label', `${OWNER_LABEL}=${process.pid}`];
  for (const [k, v] of Object.entries(options.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(options.env ?? {})) args.push('-e', `${k}=${v}`);
  args.push(image, 'sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p 80 -h /www`);
  const id = execFileSync('docker', args, { encoding: 'utf8' }).trim();
  const port = execFileSync('docker', ['port', id, '80/tcp'], { encoding: 'utf8' }).trim().split('\n')[0];
  return { id, name, hostPort: Number(port.split(':').pop()) };
}

export function removeContainers(...idsOrNames: string[]): void {
  if (idsOrNames.length === 0) return;
  try {
    execFileSync('docker', ['rm', '-f', ...idsOrNames], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}
