// The pure planner: desired state + live state + memory -> per-service state, actions and alerts, and the next memory.

import { DEFAULT_HEALTH_STRATEGY, type DesiredState, type HealPolicy, type ServiceSpec } from '../desired/desired-state';
import type { LiveState, ServiceLive } from '../observe/live-state';
import type { Action } from './actions';
import type { Alert } from './alerts';
import { assessService, inMaintenance, type ClassifiedContainer } from './assess';
import { judgeExpectation } from './expectation';
import { spreadAcrossHosts } from './placement';
import { backoffAfterFailure, freshServiceMemory, openBreaker, type Expectation, type HealerMemory, type ServiceMemory } from './memory';

export type ServiceStateName = 'passing' | 'warning' | 'critical';

export interface ServiceDecision {
  service: string;
  state: ServiceStateName;
  min: number;
  max?: number;
  healthy: number;
  starting: number;
  containers: number;
  failed: number;
  /** Why the planner acts or holds, in plain words (the audit log). */
  reason: string;
  actions: Action[];
  expectation?: Expectation;
}

export interface Plan {
  decisions: ServiceDecision[];
  alerts: Alert[];
  /** Set when a guard holds every action this pass. */
  guard?: { kind: 'quorum-guard' | 'consul-unavailable' | 'consul-empty'; message: string };
  memory: HealerMemory;
}

/** Consul check semantics: passing >= min; warning above max; critical below min. */
export function serviceState(spec: Pick<ServiceSpec, 'min' | 'max'>, healthy: number): ServiceStateName {
  if (healthy < spec.min) return 'critical';
  if (spec.max !== undefined && healthy > spec.max) return 'warning';
  return 'passing';
}

/** Slow start: a heal adds at most 2^successes containers (1, 2, 4...), but always enough to replace the failed ones it removes. */
export function batchSize(policy: HealPolicy, successes: number, replacing: number): number {
  return Math.min(policy.maxBatch, Math.max(replacing, 2 ** Math.min(successes, 20)));
}

/** Remembers when each container's instance was first seen in maintenance; forgets those no longer in it. */
function noteMaintenance(mem: ServiceMemory, live: ServiceLive, now: number): void {
  if (live.containers === undefined || live.instances === undefined) return;
  const seen: Record<string, number> = {};
  for (const c of live.containers) if (inMaintenance(c, live.instances)) seen[c.id] = mem.maintenanceSeenAt?.[c.id] ?? now;
  if (Object.keys(seen).length > 0) mem.maintenanceSeenAt = seen;
  else delete mem.maintenanceSeenAt;
}

interface Condition {
  alert: Alert;
}

/**
 * Plans one pass. Pure: the same inputs give the same plan (pass `random` for the backoff jitter).
 * The returned memory assumes the planned actions are carried out; `recordOutcome` corrects it when one fails.
 */
export function plan(desired: DesiredState, live: LiveState, previous: HealerMemory, now: number, random: () => number = Math.random): Plan {
  const { policy } = desired;
  const memory: HealerMemory = structuredClone(previous);
  const conditions: Condition[] = [];
  const raise = (alert: Alert) => conditions.push({ alert });

  // Forget services no longer desired.
  for (const name of Object.keys(memory.services)) {
    if (!desired.services.some((s) => s.name === name)) delete memory.services[name];
  }

  const assessed = desired.services.map((spec) => {
    const serviceLive = live.services[spec.name] ?? { service: spec.name };
    const mem = (memory.services[spec.name] ??= freshServiceMemory());
    noteMaintenance(mem, serviceLive, now);
    const assessment = assessService(spec, serviceLive, now, { maintenanceSeenAt: mem.maintenanceSeenAt });
    const readable = serviceLive.instances !== undefined && serviceLive.containers !== undefined;
    return { spec, serviceLive, assessment, readable, state: serviceState(spec, assessment.healthy) };
  });

  // Guards: judge the whole picture before any single service.
  let guard: Plan['guard'];
  if (!live.consulOk) {
    guard = { kind: 'consul-unavailable', message: `consul is not healthy (${live.consulError ?? 'unknown'}): holding every action` };
  } else if (
    assessed.every((a) => (a.serviceLive.instances ?? []).length === 0) &&
    assessed.some((a) => (a.serviceLive.containers ?? []).some((c) => c.state === 'running'))
  ) {
    guard = { kind: 'consul-empty', message: 'consul knows no instance of any desired service while their containers run: holding every action' };
  } else {
    const critical = assessed.filter((a) => a.readable && a.state === 'critical').length;
    const total = assessed.length;
    if (total >= policy.quorumMinServices && critical / total > policy.quorumMaxFailingFraction) {
      guard = { kind: 'quorum-guard', message: `${critical} of ${total} services are critical at once: likely a shared fault, holding every action` };
    }
  }
  if (guard) raise({ key: `guard:${guard.kind}`, kind: guard.kind, message: guard.message });

  const decisions: ServiceDecision[] = [];
  for (const { spec, serviceLive, assessment, readable, state } of assessed) {
    const mem = (memory.services[spec.name] ??= freshServiceMemory());
    mem.actionTimes = mem.actionTimes.filter((t) => now - t < policy.actionWindowMs);
    const decision: ServiceDecision = {
      service: spec.name,
      state,
      min: spec.min,
      ...(spec.max !== undefined ? { max: spec.max } : {}),
      healthy: assessment.healthy,
      starting: assessment.starting,
      containers: assessment.containers.length,
      failed: assessment.failed.length,
      reason: '',
      actions: [],
    };
    decisions.push(decision);
    const hold = (reason: string) => {
      decision.reason = reason;
      if (mem.expectation) decision.expectation = mem.expectation;
    };

    if (!readable) {
      const why = [serviceLive.consulError && `consul: ${serviceLive.consulError}`, serviceLive.backendError && `${spec.scale.kind}: ${serviceLive.backendError}`].filter(Boolean).join('; ');
      raise({ key: `observe-failed:${spec.name}`, kind: 'observe-failed', service: spec.name, message: `cannot observe ${spec.name}: ${why}` });
      hold(`cannot observe (${why}): holding`);
      continue;
    }

    // Expectations first: an earlier action is either confirmed, expired (a failure), or still awaited.
    if (mem.expectation && !guard) {
      const verdict = judgeExpectation(mem.expectation, assessment, now);
      if (verdict === 'met') {
        mem.successes++;
        mem.failures = 0;
        delete mem.expectation;
        if (mem.breaker?.trial) delete mem.breaker;
      } else if (verdict === 'in-place') {
        // A predecessor's action whose effect live state shows: act on live state. Its trial, if it was one, is not
        // judged: the breaker goes back to open.
        delete mem.expectation;
        if (mem.breaker?.trial) delete mem.breaker.trial;
      } else if (verdict === 'expired') {
        mem.failures++;
        mem.successes = 0;
        delete mem.expectation;
        backoffAfterFailure(mem, policy, now, random);
        if (mem.breaker?.trial) openBreaker(mem, now, `trial heal failed: ${assessment.healthy} healthy, expected more`);
        else if (mem.failures >= policy.breakerFailures) openBreaker(mem, now, `${mem.failures} heals in a row did not restore ${spec.min} healthy instances`);
      }
    }

    if (state !== 'critical') {
      // Recovered (by us or anyone): the incident is over.
      mem.failures = 0;
      mem.successes = 0;
      delete mem.breaker;
      if (state === 'warning') {
        raise({
          key: `above-max:${spec.name}`,
          kind: 'above-max',
          service: spec.name,
          message: `${spec.name} has ${assessment.healthy} healthy instances, above its max of ${spec.max}; not stopping any`,
          details: { healthy: assessment.healthy, max: spec.max },
        });
        hold(`warning: ${assessment.healthy} healthy > max ${spec.max}; never acts`);
      } else {
        hold(mem.expectation ? 'passing; awaiting the last action to settle' : 'passing');
      }
      continue;
    }

    const strategy = spec.healthStrategy ?? DEFAULT_HEALTH_STRATEGY;
    if (strategy.kind === 'none') {
      hold(`critical: ${assessment.healthy} healthy of min ${spec.min}, ${assessment.failed.length} failed; health strategy "none": reporting only`);
      continue;
    }
    if (mem.breaker) {
      raise({
        key: `breaker:${spec.name}`,
        kind: 'breaker-open',
        service: spec.name,
        message: `circuit breaker open for ${spec.name}: ${mem.breaker.reason}; not acting until ${new Date(mem.breaker.openedAt + policy.breakerCooldownMs).toISOString()}`,
        details: { healthy: assessment.healthy, min: spec.min, failures: mem.failures },
      });
    }
    if (guard) {
      hold(`guard: ${guard.kind}`);
      continue;
    }
    if (mem.expectation) {
      hold(`awaiting ${mem.expectation.healthy} healthy until ${new Date(mem.expectation.deadline).toISOString()}`);
      continue;
    }
    if (mem.breaker) {
      if (mem.breaker.trial || now < mem.breaker.openedAt + policy.breakerCooldownMs) {
        hold(`breaker open: ${mem.breaker.reason}`);
        continue;
      }
      mem.breaker.trial = true;
    }
    if (now < mem.notBefore) {
      hold(`backing off until ${new Date(mem.notBefore).toISOString()} after ${mem.failures} failed heals`);
      continue;
    }
    if (!mem.breaker?.trial && mem.actionTimes.length >= policy.maxActionsPerWindow) {
      openBreaker(mem, now, `${mem.actionTimes.length} actions within ${policy.actionWindowMs / 1000}s`);
      raise({
        key: `breaker:${spec.name}`,
        kind: 'breaker-open',
        service: spec.name,
        message: `circuit breaker open for ${spec.name}: ${mem.breaker!.reason}`,
        details: { healthy: assessment.healthy, min: spec.min, failures: mem.failures },
      });
      hold(`breaker open: ${mem.breaker!.reason}`);
      continue;
    }

    const shortfall = spec.min - assessment.healthy - assessment.starting;
    if (shortfall <= 0) {
      hold(`${assessment.starting} instances starting cover the shortfall; waiting`);
      continue;
    }
    // "at-least N": replacing failed instances waits until N pass; below that the failed ones are kept and only added to.
    const replaceFailed = strategy.kind !== 'at-least' || assessment.healthy >= strategy.healthy;
    const failed = replaceFailed ? assessment.failed : [];
    let room = batchSize(policy, mem.successes, failed.length);
    if (spec.max !== undefined) room = Math.min(room, spec.max - assessment.healthy - assessment.starting);
    const add = Math.min(shortfall, room);
    if (add <= 0) {
      hold('no room to add instances under max');
      continue;
    }
    const kept = assessment.containers.length - failed.length;
    const total = kept + add;
    let placements: ReturnType<typeof spreadAcrossHosts>;
    if (serviceLive.hostsPassing) {
      // On several hosts: only hosts whose Consul node passes are targets, the fewest instances first.
      const keptOn: Record<string, number> = {};
      for (const c of assessment.containers) if (c.container.host && !failed.includes(c)) keptOn[c.container.host] = (keptOn[c.container.host] ?? 0) + 1;
      placements = spreadAcrossHosts(keptOn, Object.keys(serviceLive.hostsPassing).filter((h) => serviceLive.hostsPassing![h]), add);
      if (!placements) {
        hold(`critical: ${assessment.healthy} healthy of min ${spec.min}; no host whose Consul node passes to heal on`);
        continue;
      }
    }
    if (failed.length > 0) {
      decision.actions.push({
        kind: 'remove',
        service: spec.name,
        containers: failed.map((f: ClassifiedContainer) => ({ id: f.container.id, name: f.container.name, reason: f.reason })),
      });
    }
    decision.actions.push({ kind: 'scale', service: spec.name, total, add, ...(placements ? { placements } : {}) });
    const uncounted = assessment.containers.filter((c) => c.class !== 'healthy' && c.class !== 'starting').map((c) => c.container.id);
    mem.expectation = { healthy: assessment.healthy + assessment.starting + add, deadline: now + spec.graceMs + policy.expectationTimeoutMs, since: now, uncounted };
    mem.actionTimes.push(now);
    decision.expectation = mem.expectation;
    const keeping = assessment.failed.length - failed.length;
    decision.reason = `critical: ${assessment.healthy} healthy of min ${spec.min}; removing ${failed.length} failed, scaling to ${total} (+${add})` +
      (keeping > 0 ? `; keeping ${keeping} failed: fewer than ${strategy.kind === 'at-least' ? strategy.healthy : 0} healthy (health strategy at-least)` : '');
  }

  const previousKeys = new Set(previous.activeAlerts);
  const alerts = conditions.map((c) => c.alert).filter((a) => !previousKeys.has(a.key));
  memory.activeAlerts = [...new Set(conditions.map((c) => c.alert.key))];
  return { decisions, alerts, ...(guard ? { guard } : {}), memory };
}
