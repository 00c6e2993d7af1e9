// The pure decision for one rendered template: write it, skip it (nothing to do) or hold the last good file (the
// data looks implausible). No I/O: the runner gathers the inputs and acts on the answer.

import type { GuardConfig } from '../config';

export type RenderAction = 'write' | 'skip' | 'hold';

export type RenderReason =
  | 'new-file'
  | 'changed'
  | 'drop-confirmed'
  | 'unchanged'
  | 'known-bad'
  | 'empty-upstream'
  | 'below-min-instances'
  | 'sudden-drop';

export interface RenderPlanInput {
  rendered: string;
  /** The destination's current bytes; null when there is no file. */
  onDisk: string | null;
  /** Instances the template's `service()` calls returned. */
  instances: number;
  /** False when the template calls neither `services()` nor `service()`: the instance guards do not apply. */
  usesServices: boolean;
  /** Instances in the last render that went live (or matched the file on disk); undefined before the first. */
  lastGoodInstances?: number;
  /** The last output that failed validation or reload: rendering it again would fail the same way. */
  knownBad?: string;
  /** When the current drop was first seen (the runner keeps it while the plan answers `sudden-drop`). */
  dropSeenSince?: number;
  now: number;
  guard: GuardConfig;
}

export interface RenderPlan {
  action: RenderAction;
  reason: RenderReason;
  /** Human detail for the log line: names, counts. */
  detail?: string;
}

/** Names of `upstream NAME { ... }` blocks with no `server` line (nginx: "no servers are inside upstream"). */
export function emptyUpstreams(text: string): string[] {
  const empty: string[] = [];
  const withoutComments = text.replace(/#[^\n]*/g, '');
  const block = /\bupstream\s+([^\s{]+)\s*\{([^{}]*)\}/g;
  for (let match = block.exec(withoutComments); match; match = block.exec(withoutComments)) {
    if (!/(^|[;\s])server\s/.test(match[2])) empty.push(match[1]);
  }
  return empty;
}

export type InstanceGuardInput = Pick<RenderPlanInput, 'instances' | 'usesServices' | 'lastGoodInstances' | 'dropSeenSince' | 'now' | 'guard'> & {
  rendered?: string;
  knownBad?: string;
};

/**
 * The instance guards alone (too few instances; a sudden drop, held until it persists): a render that changes the
 * file and a push of upstream members (no-reload mode, where the file may not change at all) both pass them.
 * Undefined when they have nothing to say.
 */
export function instanceGuard(input: InstanceGuardInput): RenderPlan | undefined {
  const { guard } = input;
  if (input.usesServices && input.instances < guard.minInstances) {
    return { action: 'hold', reason: 'below-min-instances', detail: `${input.instances} instance(s), minimum ${guard.minInstances}` };
  }

  const last = input.lastGoodInstances;
  if (input.usesServices && last !== undefined && last > 0 && guard.maxDropFraction < 1) {
    const drop = (last - input.instances) / last;
    if (drop > guard.maxDropFraction) {
      const detail = `${last} -> ${input.instances} instances (${Math.round(drop * 100)}% drop, limit ${Math.round(guard.maxDropFraction * 100)}%)`;
      const since = input.dropSeenSince ?? input.now;
      if (input.now - since < guard.dropHoldMs) return { action: 'hold', reason: 'sudden-drop', detail: `${detail}; held until it persists ${guard.dropHoldMs} ms` };
      if (input.rendered !== undefined && input.rendered === input.knownBad) return { action: 'skip', reason: 'known-bad' };
      return { action: 'write', reason: 'drop-confirmed', detail };
    }
  }

  return undefined;
}

export function planRender(input: RenderPlanInput): RenderPlan {
  const { rendered, onDisk, guard } = input;
  if (rendered === onDisk) return { action: 'skip', reason: 'unchanged' };

  if (guard.rejectEmptyUpstreams) {
    const empty = emptyUpstreams(rendered);
    if (empty.length > 0) return { action: 'hold', reason: 'empty-upstream', detail: `upstream ${empty.join(', ')} would have no server` };
  }

  const guarded = instanceGuard(input);
  if (guarded) return guarded;

  if (rendered === input.knownBad) return { action: 'skip', reason: 'known-bad', detail: 'this output already failed validation or reload' };
  return { action: 'write', reason: onDisk === null ? 'new-file' : 'changed' };
}
