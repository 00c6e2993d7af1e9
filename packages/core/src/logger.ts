// The one pino logger factory: JSON lines, with secrets redacted here rather than at each call site.

import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, at any of the first three levels of nesting. */
const SECRET_FIELDS = [
  'token', 'password', 'secret', 'authorization', 'Authorization', 'auth', 'apiKey',
  'x-consul-token', 'X-Consul-Token', 'x-f5-auth-token', 'X-F5-Auth-Token', 'cookie', 'Cookie',
  'CONSUL_HTTP_TOKEN', 'BIGIP_PASSWORD', 'BIGIP_TOKEN',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_FIELDS) {
    const plain = /^[A-Za-z_$][\w$]*$/.test(field);
    const key = plain ? field : `["${field}"]`;
    const under = (prefix: string) => (plain ? `${prefix}.${key}` : `${prefix}${key}`);
    paths.push(key, under('*'), under('*.*'));
  }
  return paths;
}

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where lines go; defaults to stdout (fd 1). Tests pass a stream to read what was logged. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const settings: pino.LoggerOptions = {
    name: options.name,
    level,
    redact: { paths: redactPaths(), censor: '[redacted]' },
    // Every line names its host: NODE_NAME (the stack's node name; containers share nothing else that says it), else
    // the machine's host name.
    base: { pid: process.pid, hostname: process.env.NODE_NAME || hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that writes nothing, for in-process use in tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
