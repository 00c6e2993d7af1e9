// What one pass did, for the audit log, --once's output, POST /trigger?wait=1 and /health.

import type { Alert } from './plan/alerts';
import { describeAction, type Action } from './plan/actions';
import type { ServiceDecision } from './plan/plan';

export interface ActionReport {
  service: string;
  kind: Action['kind'];
  ok: boolean;
  detail: string;
  /** The backend already wanted this (a scale to swarm's current replicas): reported, but no action was taken. */
  unchanged?: true;
}

/** The reports of steps that changed something. */
export function actionsTaken(actions: readonly ActionReport[]): ActionReport[] {
  return actions.filter((a) => !a.unchanged);
}

export interface PassReport {
  at: string;
  reasons: string[];
  desiredHash: string;
  liveHash?: string;
  /** Whether this healer was allowed to act (leader, or no lock). */
  leader: boolean;
  dryRun: boolean;
  guard?: string;
  decisions: ServiceDecision[];
  actions: ActionReport[];
  alerts: Alert[];
  error?: string;
}

export type PassResult = 'acted' | 'held' | 'noop' | 'dry-run' | 'follower' | 'error';

/** The `healer_passes_total` label of a leader's pass that ran to the end. */
export function leaderPassResult(report: Pick<PassReport, 'actions' | 'guard'>): PassResult {
  if (actionsTaken(report.actions).length > 0) return 'acted';
  return report.guard ? 'held' : 'noop';
}

/** The part of a pass report a trigger caller or /health needs. */
export function summarise(report: PassReport): Record<string, unknown> {
  return {
    at: report.at,
    reasons: report.reasons,
    leader: report.leader,
    dryRun: report.dryRun,
    guard: report.guard,
    error: report.error,
    services: report.decisions.map((d) => ({ service: d.service, state: d.state, healthy: d.healthy, min: d.min, max: d.max, reason: d.reason })),
    actions: report.actions,
    alerts: report.alerts.map((a) => a.kind),
  };
}

/** The fields of a pass's audit-log line. */
export function passLogFields(report: PassReport): Record<string, unknown> {
  const decisions = report.decisions.map((d) => ({ service: d.service, state: d.state, healthy: d.healthy, min: d.min, max: d.max, starting: d.starting, failed: d.failed, reason: d.reason, actions: d.actions.map(describeAction) }));
  return { reasons: report.reasons, leader: report.leader, desired: report.desiredHash, live: report.liveHash, guard: report.guard, decisions, actions: report.actions };
}
