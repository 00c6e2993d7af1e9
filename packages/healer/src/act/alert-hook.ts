// The alert hook: an optional command (an SMS gateway script, say) run with one alert as JSON on stdin.

import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { errorMessage } from '@consul-sidecars/core';
import type { Alert } from '../plan/alerts';

export interface AlertSink {
  send(alert: Alert): Promise<void>;
}

export interface AlertPayload extends Alert {
  source: 'healer';
  host: string;
  at: string;
}

export function alertPayload(alert: Alert, now = Date.now()): AlertPayload {
  return { source: 'healer', host: hostname(), at: new Date(now).toISOString(), ...alert };
}

/**
 * Splits a command line on whitespace, without a shell (no quoting, no expansion): pass a script path and plain words.
 * `--alert-command "/usr/local/bin/sms --to ops"` runs `/usr/local/bin/sms` with `--to ops`.
 */
export function splitCommand(command: string): string[] {
  return command.trim().split(/\s+/).filter(Boolean);
}

export class CommandAlertSink implements AlertSink {
  constructor(
    private readonly argv: string[],
    private readonly logger?: Logger,
    private readonly timeoutMs = 10_000,
  ) {}

  send(alert: Alert): Promise<void> {
    const [file, ...args] = this.argv;
    const body = `${JSON.stringify(alertPayload(alert))}\n`;
    return new Promise((resolve) => {
      const child = execFile(file, args, { timeout: this.timeoutMs, encoding: 'utf8' }, (err, _stdout, stderr) => {
        // A failing alert command is logged, never fatal: the healer keeps healing.
        if (err) this.logger?.error({ alert: alert.key, command: file, err: errorMessage(err), stderr: String(stderr).trim().slice(-2000) }, 'alert command failed');
        else this.logger?.info({ alert: alert.key, command: file }, 'alert command ran');
        resolve();
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(body);
    });
  }
}

/** No hook configured: the healer's own ALERT log line is all there is. */
export class NoopAlertSink implements AlertSink {
  async send(): Promise<void> {
    // nothing beyond the log line the healer writes for every alert
  }
}
