// The healer's memory across passes: expectations, backoff, breakers, alert bookkeeping; and how outcomes correct it.

import { backoffDelay } from '@consul-sidecars/core';
import type { HealPolicy } from '../desired/desired-state';
import type { Alert } from './alerts';

/** What an action should make appear, and by when (Kubernetes' expectations). */
export interface Expectation {
  healthy: number;
  deadline: number;
  since: number;
  /**
   * Containers there when the action was taken and not counted in `healthy` (failed, removed, kept, unregistered): one
   * failing later is not the action's effect. Any other failing container was counted, or is new: it is there.
   */
  uncounted?: string[];
  /** Set when a new leader took it over from its predecessor, whose passes it did not see. */
  adopted?: boolean;
}

export interface ServiceMemory {
  expectation?: Expectation;
  /** Consecutive heals that failed (the backend failed, or the expectation expired). */
  failures: number;
  /** Consecutive heals that met their expectation in this incident: the slow-start exponent. */
  successes: number;
  /** Backoff gate: no action before this time. */
  notBefore: number;
  /** Times of recent actions (the per-window budget). */
  actionTimes: number[];
  /** Set while the circuit breaker is open (or half-open, with `trial`). */
  breaker?: { openedAt: number; reason: string; trial?: boolean };
  /**
   * When each container (by id) was first seen with its instance in Consul maintenance. With a backend that moves a
   * drained node's tasks itself (swarm), one in maintenance for less than the grace period reads as starting: host-drain
   * puts the node in maintenance a moment before swarm moves its tasks, and that moment is no shortfall.
   */
  maintenanceSeenAt?: Record<string, number>;
}

export interface HealerMemory {
  services: Record<string, ServiceMemory>;
  /** Keys of the alert conditions raised last pass: an alert is sent when its condition appears, not every pass. */
  activeAlerts: string[];
}

export function emptyMemory(): HealerMemory {
  return { services: {}, activeAlerts: [] };
}

export function freshServiceMemory(): ServiceMemory {
  return { failures: 0, successes: 0, notBefore: 0, actionTimes: [] };
}

export function openBreaker(mem: ServiceMemory, now: number, reason: string): void {
  mem.breaker = { openedAt: now, reason };
}

export function backoffAfterFailure(mem: ServiceMemory, policy: HealPolicy, now: number, random: () => number): void {
  mem.notBefore = now + backoffDelay(mem.failures, { baseMs: policy.backoffBaseMs, maxMs: policy.backoffMaxMs, jitter: policy.backoffJitter }, random);
}

export type ActionOutcome =
  | { ok: true }
  | { ok: false; failure: string; message: string; deterministic: boolean };

/** Corrects memory after an action failed: no expectation, one more failure, backoff; a deterministic failure opens the breaker. */
export function recordOutcome(
  previous: HealerMemory,
  service: string,
  outcome: ActionOutcome,
  policy: HealPolicy,
  now: number,
  random: () => number = Math.random,
): { memory: HealerMemory; alerts: Alert[] } {
  if (outcome.ok) return { memory: previous, alerts: [] };
  const memory = structuredClone(previous);
  const mem = (memory.services[service] ??= freshServiceMemory());
  delete mem.expectation;
  mem.failures++;
  mem.successes = 0;
  backoffAfterFailure(mem, policy, now, random);
  if (outcome.deterministic) openBreaker(mem, now, `${outcome.failure}: would fail again the same way (${outcome.message})`);
  else if (mem.breaker?.trial || mem.failures >= policy.breakerFailures) openBreaker(mem, now, `${mem.failures} heals failed in a row (last: ${outcome.failure})`);
  const alert: Alert = {
    key: `action-failed:${service}:${now}`,
    kind: 'action-failed',
    service,
    message: `healing ${service} failed (${outcome.failure}): ${outcome.message}`,
    details: { failure: outcome.failure, deterministic: outcome.deterministic, breakerOpen: Boolean(mem.breaker) },
  };
  return { memory, alerts: [alert] };
}

/**
 * Withdraws the action the planner recorded for `service` at `at` when carrying it out changed nothing (a scale to what
 * the backend already wants): no expectation to await, nothing spent of the action budget, no half-open trial used.
 */
export function withdrawAction(previous: HealerMemory, service: string, at: number): HealerMemory {
  const memory = structuredClone(previous);
  const mem = memory.services[service];
  if (!mem) return memory;
  if (mem.expectation?.since === at) delete mem.expectation;
  const i = mem.actionTimes.lastIndexOf(at);
  if (i !== -1) mem.actionTimes.splice(i, 1);
  if (mem.breaker?.trial) delete mem.breaker.trial;
  return memory;
}

/** Per service, whether its breaker is open (half-open trials count as closed): the `healer_breaker_open` gauge. */
export function openBreakers(memory: HealerMemory): Record<string, boolean> {
  return Object.fromEntries(Object.entries(memory.services).map(([name, m]) => [name, Boolean(m.breaker && !m.breaker.trial)]));
}

/** A dry run keeps only the alert bookkeeping of its plan, so it does not print the same alert every pass, and acts on nothing. */
export function afterDryRun(previous: HealerMemory, planned: HealerMemory): HealerMemory {
  // What it saw (not what it would have done) carries over too: when each instance went into maintenance.
  const services = structuredClone(previous.services);
  for (const [name, mem] of Object.entries(planned.services)) {
    const seen = mem.maintenanceSeenAt;
    if (seen) (services[name] ??= freshServiceMemory()).maintenanceSeenAt = { ...seen };
    else if (services[name]) delete services[name].maintenanceSeenAt;
  }
  return { ...previous, services, activeAlerts: planned.activeAlerts };
}

/** A predecessor's memory as its successor holds it: every expectation marked adopted (judged by `judgeExpectation`). */
export function adoptedMemory(services: HealerMemory['services']): HealerMemory['services'] {
  const adopted = structuredClone(services);
  for (const mem of Object.values(adopted)) if (mem.expectation) mem.expectation.adopted = true;
  return adopted;
}

/** Reads memory written by a previous leader; undefined when it is not the shape this version writes. */
export function parsePersistedMemory(text: string): HealerMemory['services'] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  for (const value of Object.values(data)) {
    const m = value as Record<string, unknown>;
    if (typeof m !== 'object' || m === null) return undefined;
    if (typeof m.failures !== 'number' || typeof m.successes !== 'number' || typeof m.notBefore !== 'number' || !Array.isArray(m.actionTimes)) return undefined;
  }
  return data as HealerMemory['services'];
}
