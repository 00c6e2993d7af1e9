// Acts on one template's step: records it in the template's memory and report (with its log line and metrics),
// and answers what the group's batch must write and push. The decision itself is plan/template-step.ts.

import type { Logger } from '@consul-sidecars/core';
import type { RendererMetrics } from '../metrics';
import type { TemplateStep } from '../plan/template-step';
import type { UpstreamPeer } from '../plan/upstream-peers';
import type { RenderOutcome } from '../template-env';
import type { TemplateReports, TemplateState } from '../template-state';
import type { FileState } from './file-swap';
import type { PlannedPush } from './nginx-push';
import type { PlannedWrite } from './write-batch';

export interface StepContext {
  logger: Logger;
  metrics: RendererMetrics;
  reports: TemplateReports;
  /** The members of each upstream the template pushed (invalid addresses dropped and reported). */
  peersOf: (outcome: RenderOutcome) => Map<string, UpstreamPeer[]>;
}

export interface RecordedStep {
  write?: PlannedWrite;
  push?: PlannedPush;
  /** A sudden drop started being held: render the group again after this long. */
  recheckAfterMs?: number;
}

/** Records the step in the template's memory and report; answers what the group's batch writes and pushes. */
export function recordStep(state: TemplateState, step: TemplateStep, outcome: RenderOutcome, previous: FileState | undefined, ctx: StepContext): RecordedStep {
  const destination = state.config.destination;
  const { logger: log, metrics, reports } = ctx;
  switch (step.kind) {
    case 'pending':
      metrics.renders.inc({ template: destination, result: 'pending' });
      log.debug({ missing: step.missing, err: outcome.error?.message }, 'waiting for every dependency to answer before writing');
      if (step.report) reports.set(state, { status: 'pending', reason: 'waiting-for-dependencies', missing: step.missing });
      return {};
    case 'error':
      if (step.cause === 'render' || step.cause === 'config') metrics.renderErrors.inc({ template: destination });
      metrics.renders.inc({ template: destination, result: 'error' });
      if (step.cause === 'lua') {
        log.error({ err: step.detail }, 'the shipped Lua does not load in nginx; nothing written or pushed, the live config stays');
        reports.set(state, { status: 'error', reason: step.reason, detail: step.detail });
      } else if (step.cause === 'consul') {
        // Logged by the watcher on each attempt; the report says it until the answer is good again.
        if (state.report.detail !== step.detail) log.error({ code: step.code, err: step.detail }, 'a Consul answer the template reads is malformed; the last good file stays');
        reports.set(state, { status: 'error', reason: step.reason, code: step.code, detail: step.detail });
      } else {
        log.error({ err: step.reason }, 'template failed to render; the last good file stays');
        reports.set(state, { status: 'error', reason: step.reason });
      }
      return {};
    case 'hold':
      state.dropSeenSince = step.dropSeenSince;
      metrics.guardHolds.inc({ template: destination, reason: step.plan.reason });
      metrics.renders.inc({ template: destination, result: 'held' });
      log.warn({ reason: step.plan.reason, detail: step.plan.detail, instances: outcome.instances }, 'guard held the last good file');
      reports.set(state, { status: 'held', reason: step.plan.reason, detail: step.plan.detail, instances: outcome.instances });
      return { recheckAfterMs: step.recheckAfterMs };
  }
  state.dropSeenSince = step.dropSeenSince;
  const push: PlannedPush | undefined = step.push ? { state, outcome, peers: ctx.peersOf(outcome), reason: step.push.reason, fileResult: step.push.fileResult } : undefined;
  if (step.kind === 'skip') {
    metrics.renders.inc({ template: destination, result: step.plan.reason });
    if (step.outcome === 'good') {
      if (state.status !== 'ok') log.info({ instances: outcome.instances }, 'rendered output matches the file on disk');
      reports.good(state, outcome.instances, step.plan.reason);
    } else if (step.outcome === 'failed') {
      reports.set(state, { status: 'failed', reason: step.plan.reason, detail: step.plan.detail, instances: outcome.instances });
    }
    return { push };
  }
  if (!previous) throw new Error(`internal: a write of ${destination} was planned without reading the file`);
  return { write: { state, outcome, previous, plan: step.plan }, push };
}
