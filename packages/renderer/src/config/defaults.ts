// Every default of the renderer's configuration, in one place (durations as the file writes them).

import type { GuardConfig, WaitConfig } from './types';

export const NO_WAIT: WaitConfig = { minMs: 0, maxMs: 0 };

export const DEFAULT_GUARD: GuardConfig = { minInstances: 1, maxDropFraction: 1, dropHoldMs: 5 * 60_000, rejectEmptyUpstreams: true };

export const DEFAULTS = {
  consul: { waitSeconds: 60, retryMax: '30s' },
  wait: NO_WAIT,
  once: false,
  dryRun: false,
  onceTimeout: '30s',
  ops: { host: '127.0.0.1', port: 9465, enabled: true },
  logLevel: 'info',
  template: {
    commandTimeout: '30s',
    backup: false,
    createDestDirs: true,
    errorFatal: false,
    /** The group of a template that names none: its own, so it is validated and reloaded alone. */
    group: (destination: string) => `template:${destination}`,
    guard: DEFAULT_GUARD,
  },
  upstreamPush: { interval: '250ms', minIntervalMs: 10, timeout: '2s', checkLua: true, nginx: 'nginx' },
} as const;

/** Sources with these extensions are Go templates (consul-template's conventions) unless `engine` says otherwise. */
export const GO_TEMPLATE_EXTENSIONS = /\.(ctmpl|tpl|tmpl)$/;
