// The no-reload adapter: one UpstreamPusher per template, wired to metrics and reports, and each push's outcome
// logged and turned into the template's report (plan/push-round.ts decides which).

import type { Logger } from '@consul-sidecars/core';
import type { RendererMetrics } from '../metrics';
import { planPushReport, recoversOnPush } from '../plan/push-round';
import type { UpstreamPeer } from '../plan/upstream-peers';
import type { UpstreamPushConfig } from '../config';
import type { RenderOutcome } from '../template-env';
import type { TemplateReports, TemplateState } from '../template-state';
import { pushSecretFromEnv } from './push-secret';
import { UpstreamPusher, type PushOutcome } from './upstream-pusher';
import type { RunnerStats } from './write-batch';

export interface PlannedPush {
  state: TemplateState;
  outcome: RenderOutcome;
  peers: Map<string, UpstreamPeer[]>;
  /** Why the members are pushed: the report's reason when the push alone went through. */
  reason: string;
  /** The file is known bad (its last good version stays): push the members, keep that failure as the report. */
  fileResult?: string;
}

export interface PushContext {
  logger: Logger;
  metrics: RendererMetrics;
  stats: RunnerStats;
  reports: TemplateReports;
}

export function createPusher(state: TemplateState, push: UpstreamPushConfig, ctx: PushContext): UpstreamPusher {
  const destination = state.config.destination;
  const pusher = new UpstreamPusher({
    url: push.url,
    intervalMs: push.intervalMs,
    timeoutMs: push.timeoutMs,
    rejectEmpty: state.config.guard.rejectEmptyUpstreams,
    secret: pushSecretFromEnv(),
    logger: ctx.logger.child({ template: destination, push: push.url }),
  });
  const recover = () => {
    if (recoversOnPush(state.status, state.report.reason)) ctx.reports.good(state, state.lastGoodInstances ?? 0, 'pushed');
  };
  pusher.on('push', (outcome) => {
    ctx.stats.pushes++;
    if (!outcome.ok) ctx.stats.failedPushes++;
    ctx.metrics.upstreamPushes.inc({ template: destination, result: outcome.ok ? 'ok' : 'failed' });
  });
  pusher.on('restored', (upstreams) => {
    ctx.stats.restores++;
    ctx.metrics.upstreamRestores.inc({ template: destination });
    ctx.logger.info({ template: destination, upstreams }, 'nginx restarted: every upstream pushed again');
    recover();
  });
  pusher.on('recovered', recover);

  return pusher;
}

export function recordPush(p: PlannedPush, outcome: PushOutcome, fileResult: string | undefined, ctx: PushContext): void {
  const destination = p.state.config.destination;
  const log = ctx.logger.child({ template: destination });
  if (outcome.set.length > 0 || outcome.removed.length > 0) {
    log[outcome.ok ? 'info' : 'error']({ set: outcome.set, removed: outcome.removed, error: outcome.error }, outcome.ok ? 'upstreams pushed to nginx (no reload)' : 'upstream push failed; nginx keeps its current peers, retrying');
  }
  for (const hold of outcome.held) {
    ctx.metrics.guardHolds.inc({ template: destination, reason: hold.reason });
    log.warn({ upstream: hold.upstream, detail: hold.detail }, 'guard held the upstream\'s last good peers');
  }
  const report = planPushReport({ ok: outcome.ok, error: outcome.error, held: outcome.held, fileResult, pushReason: p.reason, currentReason: p.state.report.reason });
  if (report.kind === 'good') ctx.reports.good(p.state, p.outcome.instances, report.reason);
  else if (report.kind !== 'none') ctx.reports.set(p.state, { status: report.kind, reason: report.reason, detail: report.detail, instances: p.outcome.instances });
}
