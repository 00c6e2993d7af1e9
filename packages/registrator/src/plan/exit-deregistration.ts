// Pure: -deregister-on-exit: every service registrator owns goes, whatever its container's state.

import type { AgentService } from '../observe/agent-view';
import { META_CONTAINER } from './registration';
import type { PlanAction } from './registrations';

export function planExitDeregistration(owned: readonly AgentService[]): PlanAction[] {
  return owned.map((s) => ({ kind: 'deregister', serviceId: s.id, containerId: s.meta[META_CONTAINER], reason: 'not-defined' }));
}
