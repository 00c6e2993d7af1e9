// No-reload mode, the pure decision of a push ahead of the render: when one watched answer changes and the last
// render that went through pushed some upstream straight from that answer (pushUpstream(u, service(name)), no
// filter in between), the new members can go to nginx at once, before the template renders again. The render
// still follows, and its push sends only what differs (nothing, when the template did nothing else with it).
// The instance guard is asked first, with the template's count as it will be: a drop it would hold is left to the
// render, as is an empty answer (the guard's rejectEmptyUpstreams and the 503 fallback are the render's to decide).

import type { GuardConfig, WaitConfig } from '../config';
import { instanceGuard } from './render-plan';
import type { TemplateStatus } from './template-step';

/** What a render that went live tells the next push ahead: which upstream came from which answer, and the counts. */
export interface PushAheadMemory<S extends { key: string } = { key: string }> {
  /** Upstream name -> the dependency (key) whose answer it pushed as the template's service() returned it. */
  sources: ReadonlyMap<string, S>;
  /** Instances of each service() answer the render used, by dependency key. */
  instancesByKey: ReadonlyMap<string, number>;
  /** Their sum: what the instance guard counts. */
  instances: number;
}

export interface PushAheadInput<S extends { key: string }> {
  memory: PushAheadMemory<S> | undefined;
  status: TemplateStatus;
  /** The dependency whose answer changed. */
  key: string;
  /** Instances in its new answer, as the template would see them. */
  instances: number;
  /** The template's group waits for quiescence: the change waits with it. */
  wait: WaitConfig;
  guard: GuardConfig;
  lastGoodInstances?: number;
  dropSeenSince?: number;
  now: number;
}

export type PushAheadPlan<S extends { key: string }> =
  | { kind: 'push'; upstreams: string[]; memory: PushAheadMemory<S> }
  | { kind: 'render'; reason: 'no-live-render' | 'quiescence' | 'not-pushed-directly' | 'empty' | 'guard' };

export function planPushAhead<S extends { key: string }>(input: PushAheadInput<S>): PushAheadPlan<S> {
  const { memory } = input;
  if (!memory || input.status !== 'ok') return { kind: 'render', reason: 'no-live-render' };
  if (input.wait.minMs > 0 || input.wait.maxMs > 0) return { kind: 'render', reason: 'quiescence' };
  const upstreams = [...memory.sources].filter(([, source]) => source.key === input.key).map(([upstream]) => upstream).sort();
  if (upstreams.length === 0) return { kind: 'render', reason: 'not-pushed-directly' };
  if (input.instances === 0) return { kind: 'render', reason: 'empty' };
  const instances = memory.instances - (memory.instancesByKey.get(input.key) ?? 0) + input.instances;
  const guarded = instanceGuard({ instances, usesServices: true, lastGoodInstances: input.lastGoodInstances, dropSeenSince: input.dropSeenSince, now: input.now, guard: input.guard });
  if (guarded?.action === 'hold' || guarded?.reason === 'drop-confirmed') return { kind: 'render', reason: 'guard' };
  const instancesByKey = new Map(memory.instancesByKey).set(input.key, input.instances);
  return { kind: 'push', upstreams, memory: { sources: memory.sources, instancesByKey, instances } };
}
