// Alerts the healer raises: conditions in plain words, keyed so one condition alerts once, not every pass.

import { createHash } from 'node:crypto';

export type AlertKind =
  | 'above-max' | 'breaker-open' | 'quorum-guard' | 'consul-unavailable' | 'consul-empty' | 'observe-failed' | 'action-failed' | 'desired-invalid';

export interface Alert {
  key: string;
  kind: AlertKind;
  service?: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The alert for an invalid desired-state file: one key per distinct error, so an unchanged bad file alerts once. */
export function desiredInvalidAlert(message: string): Alert {
  return { key: `desired-invalid:${createHash('sha256').update(message).digest('hex').slice(0, 8)}`, kind: 'desired-invalid', message };
}
