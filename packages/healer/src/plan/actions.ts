// The planner's actions: backend-neutral (which service, how many), carried out by the service's scaling backend.

import type { Placement } from './placement';

export type Action =
  /** Remove these failed containers by id before scaling (replace, never restart in place). */
  | { kind: 'remove'; service: string; containers: Array<{ id: string; name: string; reason: string }> }
  /** Bring the service to `total` containers, `add` of them new; on several hosts, `placements` says where. */
  | { kind: 'scale'; service: string; total: number; add: number; placements?: Placement[] };

export function describeAction(action: Action): string {
  if (action.kind === 'remove') return `remove ${action.containers.map((c) => `${c.name} (${c.reason})`).join(', ')}`;
  const where = action.placements ? ` on ${action.placements.map((p) => `${p.host} to ${p.total} (+${p.add})`).join(', ')}` : '';
  return `scale to ${action.total} (+${action.add})${where}`;
}
