// How a planned action reads in the logs: one flat object per action (service, container, what and why).

import type { PlanAction } from '../plan/registrations';

export function describeAction(a: PlanAction): Record<string, unknown> {
  switch (a.kind) {
    case 'register':
    case 'update':
      return { action: a.kind, service: a.serviceId, name: a.registration.name, address: a.registration.address, port: a.registration.port, tags: a.registration.tags, reason: a.reason, container: a.containerId.slice(0, 12) };
    case 'deregister':
      return { action: a.kind, service: a.serviceId, reason: a.reason, container: a.containerId?.slice(0, 12) };
    case 'updateTtl':
      return { action: a.kind, service: a.serviceId, check: a.checkId, status: a.status };
  }
}

/** The log message of a successful action. */
export function appliedMessage(a: PlanAction): string {
  return a.kind === 'deregister' ? 'deregistered' : a.kind === 'updateTtl' ? 'check updated' : 'registered';
}
