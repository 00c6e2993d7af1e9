// Removes services whose check has stayed critical longer than its DeregisterCriticalServiceAfter,
// on a fixed interval like Consul's reaper (about every 30 s there).

import { Catalog } from './catalog';

export class Reaper {
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly catalog: Catalog, intervalMs: number, private readonly log: (event: Record<string, unknown>) => void) {
    this.timer = setInterval(() => this.reap(), intervalMs);
    this.timer.unref();
  }

  reap(now = Date.now()): void {
    for (const check of [...this.catalog.checks.values()]) {
      const timeout = check.definition.deregisterCriticalServiceAfterMs;
      if (!timeout || !check.serviceId || check.status !== 'critical' || check.criticalSince === undefined) continue;
      if (now - check.criticalSince <= timeout) continue;
      if (this.catalog.deregisterService(check.serviceId)) {
        this.log({ level: 'info', msg: 'reaped service whose check stayed critical', service: check.serviceId, check: check.checkId });
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
