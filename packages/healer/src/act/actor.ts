// Act: carries out one service's planned actions through its scaling backend, in order, and reports each.

import type { Logger } from 'pino';
import { errorMessage } from '@consul-sidecars/core';
import { backendFor, type ScalingBackends } from '../backends/registry';
import type { HealPolicy, ServiceSpec } from '../desired/desired-state';
import type { HealerMetrics } from '../metrics';
import type { ActionReport } from '../pass-report';
import { describeAction } from '../plan/actions';
import type { ActionOutcome } from '../plan/memory';
import type { ServiceDecision } from '../plan/plan';

export interface ActorOptions {
  backends: ScalingBackends;
  metrics: HealerMetrics;
  logger: Logger;
}

export interface ActResult {
  reports: ActionReport[];
  /** The first failure stops the service's remaining actions; the planner's memory is corrected from it. */
  outcome: ActionOutcome;
  /** False when every step was a no-op (a scale to what the backend already runs): the planner's action is withdrawn. */
  acted: boolean;
}

export class Actor {
  constructor(private readonly options: ActorOptions) {}

  /** Removes failed containers, then scales: a failed step stops the rest (never scale on top of a failed removal). */
  async carryOut(decision: ServiceDecision, spec: ServiceSpec, policy: HealPolicy): Promise<ActResult> {
    const { metrics, logger } = this.options;
    const backend = backendFor(this.options.backends, spec.scale);
    const reports: ActionReport[] = [];
    let acted = false;
    for (const action of decision.actions) {
      if (action.kind === 'remove') {
        try {
          await backend.remove(action.containers.map((c) => c.id));
          metrics.actions.inc({ service: action.service, kind: 'remove', result: 'ok' });
          acted = true;
          reports.push({ service: action.service, kind: 'remove', ok: true, detail: describeAction(action) });
          logger.info({ service: action.service, containers: action.containers }, 'removed failed containers');
        } catch (err) {
          metrics.actions.inc({ service: action.service, kind: 'remove', result: 'error' });
          metrics.recordError(err);
          reports.push({ service: action.service, kind: 'remove', ok: false, detail: errorMessage(err) });
          logger.error({ service: action.service, err: errorMessage(err) }, 'removing failed containers failed');
          return { reports, acted: true, outcome: { ok: false, failure: 'remove-failed', message: errorMessage(err), deterministic: false } };
        }
      } else {
        const result = await backend.scale(action.total, { timeoutMs: policy.composeTimeoutMs, ...(action.placements ? { placements: action.placements } : {}) });
        const unchanged = result.ok && result.unchanged === true;
        if (!unchanged) acted = true;
        const label = result.ok ? (unchanged ? 'unchanged' : 'ok') : result.failure;
        metrics.recordScaleRun(backend.kind, action.service, label);
        metrics.actions.inc({ service: action.service, kind: 'scale', result: label });
        reports.push({ service: action.service, kind: 'scale', ok: result.ok, ...(unchanged ? { unchanged: true as const } : {}), detail: result.ok ? `${unchanged ? 'unchanged, the backend already wants as many: ' : ''}${backend.describeScale(action.total)} (+${action.add})${action.placements ? ` on ${action.placements.map((p) => `${p.host}=${p.total}`).join(', ')}` : ''}` : `${result.failure}: ${result.output}` });
        if (!result.ok) metrics.errors.inc({ kind: 'ERR_SCALE_FAILED' });
        if (!result.ok) return { reports, acted: true, outcome: { ok: false, failure: result.failure, message: result.message, deterministic: result.deterministic } };
      }
    }
    return { reports, acted, outcome: { ok: true } };
  }
}
