// Starts the suite's daemons as real child processes for the demo, and stops every one on exit or Ctrl-C.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

export interface Daemon {
  name: string;
  child: ChildProcess;
  /** Everything it printed, for the narrator to quote on failure. */
  output(): string;
}

const running: Daemon[] = [];

export function binPath(pkg: string): string {
  return join(root, 'packages', pkg, 'bin', `${pkg}.js`);
}

/** Where each daemon's output is also written (<dir>/<name>.log), so a failed step can be looked into. */
let logDir: string | undefined;
export function setLogDir(dir: string): void {
  logDir = dir;
}

export function startDaemon(name: string, pkg: string, args: string[], env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [binPath(pkg), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text = (text + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (text = (text + d).slice(-20_000)));
  if (logDir) {
    const log = createWriteStream(`${logDir}/${name}.log`);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
  }
  const daemon = { name, child, output: () => text };
  running.push(daemon);
  return daemon;
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    running.splice(0).reverse().map(
      (d) =>
        new Promise<void>((resolve) => {
          if (d.child.exitCode !== null || d.child.signalCode !== null) return resolve();
          const force = setTimeout(() => d.child.kill('SIGKILL'), 5000);
          d.child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          d.child.kill('SIGTERM');
        }),
    ),
  );
}
