// What the runner keeps per template (its config, compiled template, memory and report), and the one place a
// report changes: every change is emitted, and a good one stamps the last-success metric.

import type { TemplateConfig } from './config';
import type { Dependency } from './observe';
import type { UpstreamPusher } from './act/upstream-pusher';
import type { RendererMetrics } from './metrics';
import type { PushAheadMemory } from './plan/push-ahead';
import type { TemplateMemory, TemplateStatus } from './plan/template-step';
import type { RenderableTemplate } from './template-engine';
import type { UpstreamSource } from './template-env';

export type { TemplateStatus } from './plan/template-step';

export interface TemplateReport {
  destination: string;
  group: string;
  status: TemplateStatus;
  /** The planner's reason, or why it failed. */
  reason?: string;
  detail?: string;
  instances?: number;
  /** The error code, when the reason is a coded error (consul-payload: ERR_CONSUL_PAYLOAD). */
  code?: string;
  /** Dependencies that have not answered yet (status pending). */
  missing?: string[];
  lastSuccessAt?: string;
}

export type ReportPatch = Omit<TemplateReport, 'destination' | 'group' | 'lastSuccessAt'>;

export interface TemplateState extends TemplateMemory {
  config: TemplateConfig;
  compiled: RenderableTemplate;
  used: Map<string, Dependency>;
  report: TemplateReport;
  /** No-reload mode: pushes what the template passed to pushUpstream() into nginx. */
  pusher?: UpstreamPusher;
  /** No-reload mode: what the last render whose push went out says about pushing ahead of the next one. */
  pushAhead?: PushAheadMemory<UpstreamSource>;
  /** No-reload mode: the Lua check's error ('' when it passed), once per start and per SIGHUP. */
  luaCheck?: Promise<string>;
}

export function newTemplateState(config: TemplateConfig, compiled: RenderableTemplate): TemplateState {
  return { config, compiled, used: new Map(), status: 'pending', firstDone: false, report: { destination: config.destination, group: config.group, status: 'pending' } };
}

/** The problems `renderer_template_problem` reports, one series per template and problem (the alerts select them). */
export const TEMPLATE_PROBLEMS = ['render-error', 'validation-failed', 'reload-failed', 'io-error', 'guard-held', 'push-failed', 'lua-check-failed', 'consul-payload', 'unknown-datacenter'] as const;
export type TemplateProblem = (typeof TEMPLATE_PROBLEMS)[number];

/**
 * The problem a report shows: none when ok or pending, the guard for every hold, the failure or error by its
 * reason. `known-bad` (this exact output already failed) keeps whatever problem the first failure set.
 */
export function problemOf(status: TemplateStatus, reason: string | undefined): TemplateProblem | 'none' | 'keep' {
  if (status === 'ok' || status === 'pending') return 'none';
  if (status === 'held') return 'guard-held';
  if (reason === 'known-bad') return 'keep';
  const named = TEMPLATE_PROBLEMS.find((problem) => problem === reason);
  if (named) return named;
  return status === 'error' ? 'render-error' : 'io-error';
}

export class TemplateReports {
  constructor(private readonly metrics: RendererMetrics, private readonly emit: (report: TemplateReport) => void) {}

  set(state: TemplateState, patch: ReportPatch): void {
    const problem = problemOf(patch.status, patch.reason);
    if (problem !== 'keep') {
      for (const each of TEMPLATE_PROBLEMS) this.metrics.templateProblem.set({ template: state.config.destination, reason: each }, each === problem ? 1 : 0);
    }
    state.status = patch.status;
    state.report = { destination: state.config.destination, group: state.config.group, lastSuccessAt: state.report.lastSuccessAt, ...patch };
    this.emit({ ...state.report });
  }

  /** The template's live file (and members) match this render: it is the new baseline of the guards. */
  good(state: TemplateState, instances: number, reason: string): void {
    state.firstDone = true;
    state.lastGoodInstances = instances;
    state.knownBad = undefined;
    state.dropSeenSince = undefined;
    state.report.lastSuccessAt = new Date().toISOString();
    this.metrics.lastSuccess.set({ template: state.config.destination }, Date.now() / 1000);
    this.set(state, { status: 'ok', reason, instances });
  }
}
