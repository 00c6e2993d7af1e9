// Act on alerts: count, log (the ALERT line every alert gets) and hand each to the alert hook; a failing hook never stops a pass.

import type { Logger } from 'pino';
import { errorMessage } from '@consul-sidecars/core';
import type { HealerMetrics } from '../metrics';
import type { Alert } from '../plan/alerts';
import type { AlertSink } from './alert-hook';

export class AlertDispatcher {
  constructor(
    private readonly sink: AlertSink,
    private readonly metrics: HealerMetrics,
    private readonly logger: Logger,
    /** Log only; the hook is never run. */
    private readonly dryRun = false,
  ) {}

  async send(alerts: Alert[]): Promise<void> {
    for (const alert of alerts) {
      this.metrics.alerts.inc({ kind: alert.kind });
      this.logger.warn({ alert: alert.key, kind: alert.kind, service: alert.service, details: alert.details }, `ALERT: ${alert.message}`);
      if (this.dryRun) continue;
      try {
        await this.sink.send(alert);
      } catch (err) {
        this.logger.error({ alert: alert.key, err: errorMessage(err) }, 'alert hook failed');
      }
    }
  }
}
