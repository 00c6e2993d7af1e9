// When a group renders: its quiescence wait, and whether a dependency change renders now or waits for quiet.

import type { TemplateConfig, WaitConfig } from '../config';

/** The group's wait: the widest of its templates' waits, so one timer serves the whole group. */
export function groupWait(templates: readonly TemplateConfig[], fallback: WaitConfig): WaitConfig {
  const waits = templates.map((t) => t.wait ?? fallback);
  return { minMs: Math.max(...waits.map((w) => w.minMs)), maxMs: Math.max(...waits.map((w) => w.maxMs)) };
}

/** No quiescence before a group's first render (consul-template #703) nor in --once mode. */
export function onDependencyChange(input: { once: boolean; everyTemplateDone: boolean }): 'render-now' | 'quiesce' {
  return input.once || !input.everyTemplateDone ? 'render-now' : 'quiesce';
}

/** --once is settled when no template waits for data and no group is queued. */
export function onceSettled(statuses: readonly string[], queued: readonly boolean[]): boolean {
  return statuses.every((s) => s !== 'pending') && queued.every((q) => !q);
}
