// Go-style durations ("1m30s", "250ms", "10s"), as Consul, consul-template and registrator write them.

import { ConfigError } from './errors';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/** Parses a Go duration into milliseconds. A bare number is taken as seconds (registrator's flags are seconds). */
export function parseDuration(input: string | number, field = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new ConfigError(`${field}: invalid duration ${input}`, { field, value: input });
    return input * 1000;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (text === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  while (consumed < text.length) {
    PART.lastIndex = consumed;
    const match = PART.exec(text);
    if (!match) throw new ConfigError(`${field}: invalid duration "${input}" (want e.g. 500ms, 10s, 1m30s)`, { field, value: input });
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = PART.lastIndex;
  }
  if (text.length === 0) throw new ConfigError(`${field}: empty duration`, { field, value: input });
  return total;
}

/** Formats milliseconds as the shortest Go duration Consul accepts ("15s", "1m0s" is written "60s"). */
export function formatDuration(ms: number): string {
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}
