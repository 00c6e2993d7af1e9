// Crash points: a daemon kills itself with SIGKILL at a named step of its act phase, so tests can prove it recovers from there.
//
// CONSUL_SIDECARS_CRASH_AT=<name> fires the first time `crashPoint(name)` is reached, `<name>:<N>` the N-th time.
// Unset, every crashPoint() is one comparison. Each daemon keeps its names as constants in one catalogue file.

import { writeSync } from 'node:fs';
import { ConfigError } from './errors';

export const CRASH_AT_ENV = 'CONSUL_SIDECARS_CRASH_AT';

export interface CrashAt {
  name: string;
  /** Fires on the nth time the point is reached (1 = the first). */
  nth: number;
}

const CRASH_AT = /^([A-Za-z0-9_.-]+)(?::([1-9][0-9]{0,8}))?$/;

/** `name` or `name:N` -> the armed point; undefined when unset or empty; ConfigError naming the variable and value otherwise. */
export function parseCrashAt(value: string | undefined, known?: readonly string[]): CrashAt | undefined {
  if (value === undefined || value === '') return undefined;
  const m = CRASH_AT.exec(value);
  if (!m) throw new ConfigError(`${CRASH_AT_ENV}="${value}" is not <name> or <name>:<N> (N >= 1)`, { field: CRASH_AT_ENV, value });
  if (known && !known.includes(m[1])) {
    throw new ConfigError(`${CRASH_AT_ENV}="${value}" names no crash point of this daemon (known: ${known.join(', ')})`, { field: CRASH_AT_ENV, value });
  }
  return { name: m[1], nth: m[2] ? Number(m[2]) : 1 };
}

let armed: (CrashAt & { seen: number }) | undefined;

/**
 * Arms the crash point the environment names (call once at daemon start, with the daemon's catalogue so a typo fails
 * at start rather than never firing); returns it. Without a call, nothing is armed and crashPoint() does nothing.
 */
export function armCrashPoint(env: NodeJS.ProcessEnv = process.env, known?: readonly string[]): CrashAt | undefined {
  const at = parseCrashAt(env[CRASH_AT_ENV], known);
  armed = at ? { ...at, seen: 0 } : undefined;
  return at;
}

/** Kills this process with SIGKILL when `name` is the armed point reached for the armed time; a no-op otherwise. */
export function crashPoint(name: string): void {
  if (armed === undefined || armed.name !== name) return;
  if (++armed.seen < armed.nth) return;
  // Synchronous, so the line is out before the signal: the test's log shows where the process died.
  writeSync(2, `${JSON.stringify({ level: 60, msg: 'crash point reached: SIGKILL', crashPoint: name, nth: armed.nth, pid: process.pid })}\n`);
  process.kill(process.pid, 'SIGKILL');
}
