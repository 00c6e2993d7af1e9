// Test containers carry their test process's pid; containers whose process died before its cleanup ran (killed,
// or the engine restarted under it) are swept before a suite makes new ones, so nothing is left on a shared engine.

import { execFileSync } from 'node:child_process';

export const TEST_LABEL = 'consul-sidecars.test';
/** The pid of the test process that made a container. */
export const OWNER_LABEL = 'consul-sidecars.test.owner';

/** Labels for a container a test makes: its kind (TEST_LABEL=kind) and this process as its owner. */
export function ownedLabels(kind: string): Record<string, string> {
  return { [TEST_LABEL]: kind, [OWNER_LABEL]: String(process.pid) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const swept = new Set<string>();

/**
 * Removes containers of this kind whose owner process is gone (or that carry no owner: made before the label
 * existed). Once per kind and process. Returns how many it removed.
 */
export function sweepDeadOwners(kind: string): number {
  if (swept.has(kind)) return 0;
  swept.add(kind);
  const lines = execFileSync('docker', ['ps', '-a', '--filter', `label=${TEST_LABEL}=${kind}`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
  const dead = lines.map((line) => line.split(' ')).filter(([, owner]) => !owner || !alive(Number(owner))).map(([id]) => id as string);
  for (let i = 0; i < dead.length; i += 100) execFileSync('docker', ['rm', '-f', ...dead.slice(i, i + 100)], { stdio: 'ignore' });
  return dead.length;
}
