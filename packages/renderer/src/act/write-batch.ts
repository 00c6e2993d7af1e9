// Acts on a group's planned writes through the file target (write, validate, swap, reload: batch-apply.ts) and
// records the result: metrics, counts, each template's report and, for a failure, its known-bad output.

import type { Logger } from '@consul-sidecars/core';
import type { RendererMetrics } from '../metrics';
import type { RenderPlan } from '../plan/render-plan';
import { planApplied } from '../plan/template-step';
import type { RenderOutcome } from '../template-env';
import type { TemplateReports, TemplateState } from '../template-state';
import { applyBatch, type ApplyOptions, type BatchOutcome } from './batch-apply';
import type { FileState } from './file-swap';

export interface PlannedWrite {
  state: TemplateState;
  outcome: RenderOutcome;
  previous: FileState;
  plan: RenderPlan;
}

export interface RunnerStats {
  renders: number;
  batches: number;
  validations: number;
  reloads: number;
  failedBatches: number;
  pushes: number;
  failedPushes: number;
  restores: number;
  /** Pushes that went to nginx ahead of the render (a changed answer pushed as it came: plan/push-ahead.ts). */
  pushesAhead: number;
}

export interface WriteContext {
  logger: Logger;
  metrics: RendererMetrics;
  stats: RunnerStats;
  reports: TemplateReports;
  fileOps?: ApplyOptions['fileOps'];
  run?: ApplyOptions['run'];
  signal?: AbortSignal;
}

/** Writes, validates and reloads the batch; answers the outcome (per destination, 'ok' when it went live). */
export async function writeBatch(group: string, writes: readonly PlannedWrite[], ctx: WriteContext): Promise<BatchOutcome> {
  const { metrics, stats, logger } = ctx;
  const started = Date.now();
  // Counted as it starts: the files may be live (and watched by a test) before applyBatch resolves.
  stats.batches++;
  const outcome = await applyBatch(
    group,
    writes.map((w) => ({ template: w.state.config, output: w.outcome.output, previous: w.previous })),
    { logger, fileOps: ctx.fileOps, run: ctx.run, signal: ctx.signal },
  );
  for (const c of outcome.commands) {
    if (c.kind === 'validate') stats.validations++;
    else stats.reloads++;
    metrics.commandRuns.inc({ group, kind: c.kind, result: c.result.ok ? 'ok' : 'failed' });
  }
  metrics.batchSeconds.observe({ group }, (Date.now() - started) / 1000);

  for (const w of outcome.written) metrics.writes.inc({ template: w.destination, method: w.method });
  if (outcome.result !== 'ok') {
    stats.failedBatches++;
    if (Object.values(outcome.results).includes('validation-failed')) metrics.validationFailures.inc({ group });
    if (Object.values(outcome.results).includes('reload-failed')) metrics.reloadFailures.inc({ group });
  }
  for (const w of writes) {
    const destination = w.state.config.destination;
    const verdict = planApplied(outcome.results[destination], w.plan, w.outcome.output);
    if (verdict.live) {
      metrics.renders.inc({ template: destination, result: 'written' });
      ctx.reports.good(w.state, w.outcome.instances, verdict.reason);
    } else {
      w.state.knownBad = verdict.knownBad;
      metrics.renders.inc({ template: destination, result: 'failed' });
      ctx.reports.set(w.state, { status: 'failed', reason: verdict.reason, detail: outcome.errors[destination], instances: w.outcome.instances });
      logger.error({ group, template: destination, result: verdict.reason, error: outcome.errors[destination] }, 'template not put live; its last good file stays, retrying on the next change');
    }
  }
  if (outcome.written.length > 0) {
    logger.info({ group, written: outcome.written, commands: outcome.commands.map((c) => c.command), ms: Date.now() - started }, 'rendered, validated and reloaded');
  }
  return outcome;
}
