// consul-template's value types, read as it reads them: Go durations, signal names, file modes, commands.

import { parseDuration } from '@consul-sidecars/core';

/** The signal names consul-template accepts (signals/signals_unix.go), upper-cased; SIGNULL means "send nothing". */
export const SIGNAL_NAMES = [
  'SIGNULL', 'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT',
  'SIGKILL', 'SIGPIPE', 'SIGPROF', 'SIGQUIT', 'SIGSEGV', 'SIGSTOP', 'SIGSYS', 'SIGTERM', 'SIGTRAP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
] as const;

export type SignalName = (typeof SIGNAL_NAMES)[number];

/** Why a value was refused; the caller adds the key, file and line. */
export class ValueProblem extends Error {}

/** `"sighup"` -> `SIGHUP`, `""` -> `SIGNULL` (as consul-template's decode hook). `HUP` is refused, as there. */
export function parseSignal(text: string): SignalName {
  if (text === '') return 'SIGNULL';
  const upper = text.toUpperCase();
  if (!(SIGNAL_NAMES as readonly string[]).includes(upper)) throw new ValueProblem(`invalid signal ${JSON.stringify(text)} (valid: ${SIGNAL_NAMES.join(', ')})`);
  return upper as SignalName;
}

const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;

/** Go's time.ParseDuration: a unit is required except for "0"; negative durations are refused here. Milliseconds. */
export function parseGoDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!GO_DURATION.test(trimmed)) throw new ValueProblem(`invalid duration ${JSON.stringify(text)} (want e.g. 250ms, 10s, 1m30s)`);
  if (trimmed.startsWith('-')) throw new ValueProblem(`negative duration ${JSON.stringify(text)}`);
  return parseDuration(trimmed.replace(/^\+/, '').replace(/(\d)\.(?=\D)/g, '$1'));
}

/**
 * File modes: a string is octal (`"0644"`, `"644"`: strconv.ParseUint(s, 8, 12)); an HCL number literal with a
 * leading 0 is octal too (HCL 1 reads `0644` as 420), any other number is taken as given, as consul-template does.
 */
export function parsePermsValue(value: unknown, raw: string | undefined): number {
  if (typeof value === 'string') {
    if (!/^[0-7]{1,4}$/.test(value)) throw new ValueProblem(`invalid file mode ${JSON.stringify(value)} (want octal, e.g. "0644")`);
    return parseInt(value, 8);
  }
  if (typeof value === 'number' && Number.isInteger(value)) {
    const mode = raw !== undefined && /^0[0-7]+$/.test(raw) ? parseInt(raw, 8) : value;
    if (mode < 0 || mode > 0o7777) throw new ValueProblem(`invalid file mode ${raw ?? value}`);
    return mode;
  }
  throw new ValueProblem(`invalid file mode ${JSON.stringify(value)} (want octal, e.g. 0644 or "0644")`);
}

/**
 * A command as consul-template runs it (child/command-prep.go): a single string with spaces goes through `sh -c`,
 * a list (or a one-word string) is run directly.
 */
export function commandArgv(command: string | readonly string[]): string[] {
  const list = typeof command === 'string' ? [command] : [...command];
  if (list.length === 1 && list[0].trim().split(/\s+/).length > 1) return ['sh', '-c', list[0]];
  return list;
}
