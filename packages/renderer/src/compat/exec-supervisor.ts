// consul-template's exec mode: one child process, started after the first complete render, signalled (or restarted)
// on each change, sent the signals the renderer receives, stopped with kill_signal then SIGKILL; its exit is ours.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import type { CtEnv } from './ct-config';
import type { SignalName } from './ct-values';
import type { ExecPlan } from './to-renderer';

export interface ChildExit {
  /** The child's exit status; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The code the renderer exits with when the child died on its own: its status, or 255 for a signalled child
 * (consul-template passes Go's WaitStatus.ExitStatus(), -1 for a signal, to os.Exit: 255).
 */
export function exitCodeOf(exit: ChildExit): number {
  return exit.code ?? 255;
}

/** What to do with a signal the renderer receives (consul-template's cli.go, then child.Signal). Pure. */
export type SignalRoute =
  | { action: 'reload-config' }
  | { action: 'stop' }
  | { action: 'forward'; signal: SignalName }
  | { action: 'ignore' };

export function routeSignal(signal: SignalName, settings: { killSignal: SignalName; reloadSignal: SignalName }, childRunning: boolean): SignalRoute {
  if (signal === settings.reloadSignal) return { action: 'reload-config' };
  if (signal === settings.killSignal) return { action: 'stop' };
  if (childRunning) return { action: 'forward', signal };
  // With no child, consul-template drops other signals; the renderer keeps its rule that SIGTERM stops it.
  return signal === 'SIGTERM' ? { action: 'stop' } : { action: 'ignore' };
}

/** filepath.Match's `*`, `?` and `[...]` as a RegExp (names only: no separators in environment keys). */
function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        out += `[${pattern.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The child's environment as consul-template's EnvConfig.Env(): pristine, allow/deny globs, then custom. Pure. */
export function childEnvironment(env: CtEnv, base: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (!env.pristine) {
    const allow = (env.allowlist ?? []).map(globToRegExp);
    const deny = (env.denylist ?? []).map(globToRegExp);
    for (const [key, value] of Object.entries(base)) {
      if (value === undefined) continue;
      if (allow.length && !allow.some((r) => r.test(key))) continue;
      if (deny.some((r) => r.test(key))) continue;
      out[key] = value;
    }
  }
  for (const entry of env.custom ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

export interface ExecSupervisorOptions extends ExecPlan {
  /** The environment the child's is built from (default process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  cwd?: string;
  /** [0, 1): the splay's random fraction (tests pass a fixed one). */
  random?: () => number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

const sleep = (ms: number, abort: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || abort.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    abort.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/**
 * Emits `exit` (ChildExit) when the child ends on its own, never for the stops and restarts it asked for:
 * the renderer then exits with exitCodeOf(exit), as consul-template does.
 */
export class ExecSupervisor extends EventEmitter {
  private child?: ChildProcess;
  private childExited?: Promise<ChildExit>;
  /** Children being stopped on purpose: their exit is not the renderer's business. */
  private readonly expected = new WeakSet<ChildProcess>();
  private readonly stopping = new AbortController();
  private stopped = false;
  private readonly random: () => number;
  private readonly log: (event: string, fields: Record<string, unknown>) => void;
  /** Operations on the child run one at a time (consul-template holds its child lock). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ExecSupervisorOptions) {
    super();
    if (options.argv.length === 0 || options.argv[0] === '') throw new Error('exec: empty command');
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => {});
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Starts the child once (after the first complete render); later calls do nothing while it runs. */
  start(): Promise<void> {
    return this.serial(() => (this.running || this.stopped ? Promise.resolve() : this.spawnChild()));
  }

  private spawnChild(): Promise<void> {
    const [command, ...args] = this.options.argv;
    const child = spawn(command, args, {
      env: childEnvironment(this.options.env, this.options.baseEnv ?? process.env),
      stdio: this.options.stdio ?? 'inherit',
      cwd: this.options.cwd,
      // Its own process group, as consul-template's setpgid: a signal reaches `sh -c`'s children too.
      detached: true,
    });
    this.child = child;
    this.childExited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.childExited.then((exit) => {
      this.log('exec child exited', { pid: child.pid, ...exit });
      if (!this.expected.has(child) && this.child === child) this.emit('exit', exit);
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        this.log('exec child started', { pid: child.pid, argv: this.options.argv });
        resolve();
      });
      child.once('error', (err) => {
        this.expected.add(child);
        reject(Object.assign(new Error(`exec: cannot start ${JSON.stringify(this.options.argv)}: ${err.message}`), { code: 'ERR_EXEC_START', cause: err }));
      });
    });
  }

  private send(signal: SignalName): void {
    const child = this.child;
    if (!child?.pid || !this.running || signal === 'SIGNULL') return;
    const number = constants.signals[signal as keyof typeof constants.signals];
    try {
      process.kill(-child.pid, number);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  private splay(): Promise<void> {
    return sleep(Math.floor(this.random() * this.options.splayMs), this.stopping.signal);
  }

  /** A template changed: the reload signal after the splay, or (no reload signal) a stop and a new child. */
  reload(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      if (this.options.reloadSignal === null) {
        this.log('exec child restarting', { pid: this.child?.pid });
        await this.kill(false);
        if (!this.stopped) await this.spawnChild();
        return;
      }
      await this.splay();
      this.send(this.options.reloadSignal);
    });
  }

  /** A signal the renderer forwards (routeSignal said `forward`): as consul-template's Child.Signal. */
  signal(signal: SignalName): Promise<void> {
    // The child's exit after its kill signal is reported: consul-template then exits with the child's code.
    if (signal === this.options.killSignal) return this.serial(() => this.kill(true, false));
    if (signal === this.options.reloadSignal) return this.reload();
    this.send(signal);
    return Promise.resolve();
  }

  /** kill_signal (after the splay unless immediate), up to kill_timeout for the child to go, then SIGKILL. */
  private async kill(immediately: boolean, expected = true): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    if (expected) this.expected.add(child);
    if (!immediately) await this.splay();
    const exited = this.childExited!;
    this.send(this.options.killSignal);
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.options.killTimeoutMs)))]);
    clearTimeout(timer);
    if (!gone) {
      this.log('exec child did not stop in time, SIGKILL', { pid: child.pid, killTimeoutMs: this.options.killTimeoutMs });
      this.send('SIGKILL');
      await exited;
    }
  }

  /**
   * Stops the child for good (the renderer is stopping): immediately skips the splay, as consul-template's
   * StopImmediately on its kill signal. Resolves once the child is gone.
   */
  stop(immediately = false): Promise<void> {
    this.stopped = true;
    if (immediately) this.stopping.abort();
    return this.serial(() => this.kill(immediately));
  }
}
