// Builds the FROM-scratch busybox image the tests run (CI cannot pull images), once per machine.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX_IMAGE = 'consul-sidecars/busybox:test';
const BUSYBOX_BINARY = '/bin/busybox';

function imageExists(tag: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Builds consul-sidecars/busybox:test from Debian's busybox-static unless it exists; returns the tag. */
export function ensureBusyboxImage(): string {
  if (imageExists(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  const context = mkdtempSync(join(tmpdir(), 'cs-busybox-'));
  try {
    copyFileSync(BUSYBOX_BINARY, join(context, 'busybox'));
    writeFileSync(join(context, 'Dockerfile'), readFileSync(join(__dirname, '..', 'images', 'busybox', 'Dockerfile')));
    execFileSync('docker', ['build', '-q', '-t', BUSYBOX_IMAGE, context], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}

/** True when a Docker engine answers; suites that need one fail loudly in CI rather than skip. */
export function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
