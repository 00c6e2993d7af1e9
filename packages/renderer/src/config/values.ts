// Parsers of the config's value syntaxes shared by the file and the flags: wait, perms, `-template`.

import { ConfigError, parseDuration } from '@consul-sidecars/core';
import type { RawTemplate, RawWait } from './schema';
import type { WaitConfig } from './types';

/** consul-template's `-wait "min:max"` (or just "min", then max = 4 x min). */
export function parseWait(input: RawWait, field = 'wait'): WaitConfig {
  let minText: string | number;
  let maxText: string | number | undefined;
  if (typeof input === 'string') {
    const parts = input.split(':');
    if (parts.length > 2 || parts[0].trim() === '') throw new ConfigError(`${field}: invalid wait "${input}" (want min or min:max, e.g. 2s:10s)`, { field, value: input });
    [minText, maxText] = parts;
  } else {
    minText = input.min;
    maxText = input.max;
  }
  const minMs = parseDuration(minText, `${field}.min`);
  const maxMs = maxText === undefined || maxText === '' ? minMs * 4 : parseDuration(maxText, `${field}.max`);
  if (maxMs < minMs) throw new ConfigError(`${field}: max (${maxText}) is less than min (${minText})`, { field, value: input });
  return { minMs, maxMs };
}

/** Octal perms as consul-template writes them: "0644", "644" or the number 420. */
export function parsePerms(input: string | number, field = 'perms'): number {
  const mode = typeof input === 'number' ? input : /^0?[0-7]{3,4}$/.test(input.trim()) ? parseInt(input.trim(), 8) : NaN;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new ConfigError(`${field}: invalid file mode ${JSON.stringify(input)} (want e.g. "0644")`, { field, value: input });
  return mode;
}

/**
 * `-template "in.njk:out.conf:nginx -s reload"`: source, destination, then the rest (colons included) is the reload
 * command, run through `sh -c`.
 */
export function parseTemplateFlag(text: string): RawTemplate & { source: string } {
  const first = text.indexOf(':');
  if (first <= 0) throw new ConfigError(`-template: want "source:destination[:command]", got "${text}"`, { field: 'template', value: text });
  const second = text.indexOf(':', first + 1);
  const source = text.slice(0, first);
  const destination = second === -1 ? text.slice(first + 1) : text.slice(first + 1, second);
  const command = second === -1 ? '' : text.slice(second + 1).trim();
  if (!destination) throw new ConfigError(`-template: missing destination in "${text}"`, { field: 'template', value: text });
  return command ? { source, destination, reloadCommand: command } : { source, destination };
}
