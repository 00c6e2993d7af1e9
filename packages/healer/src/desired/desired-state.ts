// The desired-state file: per service how many healthy instances, how to scale it, and the safety policy.

import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { CodedError, ConfigError, errorMessage, parseDuration, readJsonFile, validateWithSchema } from '@consul-sidecars/core';
import { checkScaleTarget, resolveScaleTarget, scaleTargetIdentity, type ScaleTarget } from '../backends/scale-target';
import validateDesiredState from './desired-validator.generated';

export type { ScaleTarget } from '../backends/scale-target';

/**
 * What the healer does about unhealthy instances, as Rancher's health-check strategies: `none` reports only;
 * `recreate` replaces them (the default, and what every file without a strategy gets); `at-least` replaces them
 * only while at least `healthy` instances pass, so a shared fault never has the healer take the rest down too
 * (below that it only adds instances, keeping the failed ones).
 */
export type HealthStrategy = { kind: 'none' } | { kind: 'recreate' } | { kind: 'at-least'; healthy: number };

export const DEFAULT_HEALTH_STRATEGY: HealthStrategy = { kind: 'recreate' };

export interface ServiceSpec {
  /** Consul service name. */
  name: string;
  min: number;
  max?: number;
  /** Only instances carrying this Consul tag count. */
  tag?: string;
  /** New or restarted containers are not judged (nor counted as failed) for this long. */
  graceMs: number;
  /** How to add and remove its containers: the backend named by `kind` and that backend's settings. */
  scale: ScaleTarget;
  /** Unset: recreate (replace unhealthy instances). */
  healthStrategy?: HealthStrategy;
}

/** Safety limits; every field has a default (see DEFAULT_POLICY). */
export interface HealPolicy {
  /** How long an action's expected healthy count may take to appear (on top of the grace period). */
  expectationTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  backoffJitter: number;
  /** At most this many actions per service within `actionWindowMs`; reaching it opens the breaker. */
  maxActionsPerWindow: number;
  actionWindowMs: number;
  /** Consecutive failed heals (expectation expired, or compose failed) that open the breaker. */
  breakerFailures: number;
  /** An open breaker allows one trial action after this long. */
  breakerCooldownMs: number;
  /** Cap on containers added by one action. */
  maxBatch: number;
  /** Quorum guard: with at least this many services, more than `quorumMaxFailingFraction` critical at once holds all action. */
  quorumMinServices: number;
  quorumMaxFailingFraction: number;
  composeTimeoutMs: number;
}

export interface DesiredState {
  services: ServiceSpec[];
  policy: HealPolicy;
  /** Content hash of the validated state (logs say which version a pass used). */
  hash: string;
}

export const DEFAULT_POLICY: HealPolicy = {
  expectationTimeoutMs: 120_000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
  backoffJitter: 0.5,
  maxActionsPerWindow: 5,
  actionWindowMs: 600_000,
  breakerFailures: 3,
  breakerCooldownMs: 600_000,
  maxBatch: 10,
  quorumMinServices: 3,
  quorumMaxFailingFraction: 0.5,
  composeTimeoutMs: 120_000,
};

const DEFAULT_GRACE = '30s';

interface RawService {
  min: number;
  max?: number;
  tag?: string;
  gracePeriod?: string | number;
  scale: ScaleTarget;
  healthStrategy?: 'none' | 'recreate' | { atLeastHealthy: number };
}

function healthStrategy(raw: RawService['healthStrategy'], at: string, source: string): HealthStrategy {
  if (raw === undefined || raw === 'recreate') return DEFAULT_HEALTH_STRATEGY;
  if (raw === 'none') return { kind: 'none' };
  if (Number.isInteger(raw.atLeastHealthy) && raw.atLeastHealthy >= 1) return { kind: 'at-least', healthy: raw.atLeastHealthy };
  throw new ConfigError(`invalid ${source}: ${at}.healthStrategy.atLeastHealthy must be at least 1`, { field: `${at}.healthStrategy.atLeastHealthy`, value: raw.atLeastHealthy, source });
}

interface RawDesired {
  services: Record<string, RawService>;
  policy?: Record<string, string | number | undefined>;
}

const POLICY_DURATIONS: Array<[keyof HealPolicy, string]> = [
  ['expectationTimeoutMs', 'expectationTimeout'],
  ['backoffBaseMs', 'backoffBase'],
  ['backoffMaxMs', 'backoffMax'],
  ['actionWindowMs', 'actionWindow'],
  ['breakerCooldownMs', 'breakerCooldown'],
  ['composeTimeoutMs', 'composeTimeout'],
];
const POLICY_NUMBERS: Array<keyof HealPolicy> = [
  'backoffJitter', 'maxActionsPerWindow', 'breakerFailures', 'maxBatch', 'quorumMinServices', 'quorumMaxFailingFraction',
];

function durationField(value: string | number, field: string, source: string): number {
  try {
    return parseDuration(value, field);
  } catch (err) {
    throw new ConfigError(`invalid ${source}: ${field} ${errorMessage(err).replace(`${field}: `, '')}`, { field, value, source });
  }
}

/** A backend's own checks of its target, as a ConfigError of this file. */
function scaleTarget(target: ScaleTarget, context: { baseDir: string; field: string }, source: string): ScaleTarget {
  try {
    return resolveScaleTarget(target, context);
  } catch (err) {
    if (!(err instanceof CodedError) || err instanceof ConfigError) throw err;
    throw new ConfigError(`invalid ${source}: ${err.message}`, { field: String(err.details.field ?? context.field), value: err.details.value, source });
  }
}

/** Validates parsed JSON into a DesiredState; errors name the service and the field (`services.web.max ...`). */
export function parseDesiredState(data: unknown, options: { baseDir?: string; source?: string } = {}): DesiredState {
  const source = options.source ?? 'desired state';
  const raw = validateWithSchema<RawDesired>(validateDesiredState, structuredClone(data), source);
  const services: ServiceSpec[] = [];
  const projects = new Map<string, string>();
  for (const [name, spec] of Object.entries(raw.services)) {
    const at = `services.${name}`;
    if (spec.max !== undefined && spec.max < spec.min) {
      throw new ConfigError(`invalid ${source}: ${at}.max (${spec.max}) is below ${at}.min (${spec.min})`, { field: `${at}.max`, value: spec.max, source });
    }
    const identity = scaleTargetIdentity(spec.scale);
    const other = projects.get(identity.key);
    if (other) {
      throw new ConfigError(`invalid ${source}: ${at}.scale names the same ${identity.what} as services.${other}.scale`, { field: `${at}.scale.${identity.field}`, value: identity.value, source });
    }
    projects.set(identity.key, name);
    services.push({
      name,
      min: spec.min,
      ...(spec.max !== undefined ? { max: spec.max } : {}),
      ...(spec.tag !== undefined ? { tag: spec.tag } : {}),
      graceMs: durationField(spec.gracePeriod ?? DEFAULT_GRACE, `${at}.gracePeriod`, source),
      scale: scaleTarget(spec.scale, { baseDir: options.baseDir ?? process.cwd(), field: `${at}.scale` }, source),
      ...(spec.healthStrategy !== undefined ? { healthStrategy: healthStrategy(spec.healthStrategy, at, source) } : {}),
    });
  }
  const policy: HealPolicy = { ...DEFAULT_POLICY };
  for (const [key, field] of POLICY_DURATIONS) {
    const value = raw.policy?.[field];
    if (value !== undefined) (policy[key] as number) = durationField(value, `policy.${field}`, source);
  }
  for (const key of POLICY_NUMBERS) {
    const value = raw.policy?.[key];
    if (value !== undefined) (policy[key] as number) = Number(value);
  }
  if (policy.backoffMaxMs < policy.backoffBaseMs) {
    throw new ConfigError(`invalid ${source}: policy.backoffMax is below policy.backoffBase`, { field: 'policy.backoffMax', value: policy.backoffMaxMs, source });
  }
  const hash = createHash('sha256').update(JSON.stringify({ services, policy })).digest('hex').slice(0, 16);
  return { services, policy, hash };
}

/**
 * What parsing cannot know: whether each backend can run its target on this machine (its compose file exists).
 * Throws one ConfigError naming every service, field and path; `healer validate` runs it.
 */
export function checkDesiredStateOnHost(state: DesiredState, source = 'desired state'): void {
  const problems = state.services.flatMap((spec) => checkScaleTarget(spec.scale).map((p) => ({ ...p, field: `services.${spec.name}.scale.${p.field}` })));
  if (problems.length === 0) return;
  const text = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  throw new ConfigError(`invalid ${source}: ${text}`, { field: problems[0].field, value: problems[0].value, source });
}

export function loadDesiredStateFile(path: string): DesiredState {
  const data = readJsonFile(path, 'desired-state file');
  return parseDesiredState(data, { baseDir: dirname(resolve(path)), source: `desired-state file ${path}` });
}

