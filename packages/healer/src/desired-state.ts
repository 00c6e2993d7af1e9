// The desired-state file: per service how many healthy instances, how to scale it, and the safety policy.

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, errorMessage, parseDuration, readJsonFile, validateWithSchema } from '@consul-sidecars/core';

/** How to add instances of a service: one compose service, run against one Docker host. */
export interface ScaleTarget {
  composeProject: string;
  /** Absolute path (a relative one in the file is resolved against the file's directory). */
  composeFile: string;
  composeService: string;
  /** DOCKER_HOST for the compose run and the container reads (a swarm manager or a node); unset: the local engine. */
  dockerHost?: string;
}

export interface ServiceSpec {
  /** Consul service name. */
  name: string;
  min: number;
  max?: number;
  /** Only instances carrying this Consul tag count. */
  tag?: string;
  /** New or restarted containers are not judged (nor counted as failed) for this long. */
  graceMs: number;
  scale: ScaleTarget;
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

const duration = { type: ['string', 'number'] } as const;

const serviceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['min', 'scale'],
  properties: {
    min: { type: 'integer', minimum: 0 },
    max: { type: 'integer', minimum: 0 },
    tag: { type: 'string', minLength: 1 },
    gracePeriod: duration,
    scale: {
      type: 'object',
      additionalProperties: false,
      required: ['composeProject', 'composeFile', 'composeService'],
      properties: {
        // Compose's own project-name rule (lower case, digits, dash, underscore).
        composeProject: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
        composeFile: { type: 'string', minLength: 1 },
        composeService: { type: 'string', pattern: '^[a-zA-Z0-9._-]+$' },
        dockerHost: { type: 'string', pattern: '^(unix|tcp|ssh|npipe)://' },
      },
    },
  },
} as const;

const policySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    expectationTimeout: duration,
    backoffBase: duration,
    backoffMax: duration,
    backoffJitter: { type: 'number', minimum: 0, maximum: 1 },
    maxActionsPerWindow: { type: 'integer', minimum: 1 },
    actionWindow: duration,
    breakerFailures: { type: 'integer', minimum: 1 },
    breakerCooldown: duration,
    maxBatch: { type: 'integer', minimum: 1 },
    quorumMinServices: { type: 'integer', minimum: 1 },
    quorumMaxFailingFraction: { type: 'number', minimum: 0, maximum: 1 },
    composeTimeout: duration,
  },
} as const;

export const DESIRED_STATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['services'],
  properties: {
    services: {
      type: 'object',
      minProperties: 1,
      // Consul service names: letters, digits, dashes (and the dots/underscores people use anyway).
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
      additionalProperties: serviceSchema,
    },
    policy: policySchema,
  },
} as const;

interface RawService {
  min: number;
  max?: number;
  tag?: string;
  gracePeriod?: string | number;
  scale: ScaleTarget;
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

/** Validates parsed JSON into a DesiredState; errors name the service and the field (`services.web.max ...`). */
export function parseDesiredState(data: unknown, options: { baseDir?: string; source?: string } = {}): DesiredState {
  const source = options.source ?? 'desired state';
  const raw = validateWithSchema<RawDesired>(DESIRED_STATE_SCHEMA, structuredClone(data), source);
  const services: ServiceSpec[] = [];
  const projects = new Map<string, string>();
  for (const [name, spec] of Object.entries(raw.services)) {
    const at = `services.${name}`;
    if (spec.max !== undefined && spec.max < spec.min) {
      throw new ConfigError(`invalid ${source}: ${at}.max (${spec.max}) is below ${at}.min (${spec.min})`, { field: `${at}.max`, value: spec.max, source });
    }
    const key = `${spec.scale.dockerHost ?? ''}|${spec.scale.composeProject}|${spec.scale.composeService}`;
    const other = projects.get(key);
    if (other) {
      throw new ConfigError(`invalid ${source}: ${at}.scale names the same compose service as services.${other}.scale`, { field: `${at}.scale.composeService`, value: spec.scale.composeService, source });
    }
    projects.set(key, name);
    const composeFile = isAbsolute(spec.scale.composeFile) ? spec.scale.composeFile : resolve(options.baseDir ?? process.cwd(), spec.scale.composeFile);
    services.push({
      name,
      min: spec.min,
      ...(spec.max !== undefined ? { max: spec.max } : {}),
      ...(spec.tag !== undefined ? { tag: spec.tag } : {}),
      graceMs: durationField(spec.gracePeriod ?? DEFAULT_GRACE, `${at}.gracePeriod`, source),
      scale: { ...spec.scale, composeFile },
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

export function loadDesiredStateFile(path: string): DesiredState {
  const data = readJsonFile(path, 'desired-state file');
  return parseDesiredState(data, { baseDir: dirname(resolve(path)), source: `desired-state file ${path}` });
}

export interface ReloadResult {
  changed: boolean;
  error?: ConfigError | Error;
}

/** The desired-state file as the daemon sees it: loaded once strictly, then reloaded keeping the last good state on error. */
export class DesiredStateSource {
  readonly path: string;
  private state?: DesiredState;
  private seenMtimeMs = -1;
  private seenSize = -1;
  /** The error of the last failed reload (cleared by a good one). */
  lastError?: Error;

  constructor(path: string) {
    this.path = path;
  }

  /** The last good state; throws when none was ever loaded. */
  get current(): DesiredState {
    if (!this.state) throw new ConfigError(`desired-state file ${this.path} was not loaded`, { field: 'desired', value: this.path });
    return this.state;
  }

  /** First load: an invalid file is fatal (throws). */
  load(): DesiredState {
    this.remember();
    this.state = loadDesiredStateFile(this.path);
    this.lastError = undefined;
    return this.state;
  }

  /** Reloads; on any error keeps the last good state and reports the error. */
  reload(): ReloadResult {
    this.remember();
    try {
      const next = loadDesiredStateFile(this.path);
      const changed = next.hash !== this.state?.hash;
      this.state = next;
      this.lastError = undefined;
      return { changed };
    } catch (err) {
      this.lastError = err as Error;
      return { changed: false, error: err as Error };
    }
  }

  /** Reloads only when the file's mtime or size moved since the last read (cheap to call every pass). */
  reloadIfModified(): ReloadResult {
    try {
      const stat = statSync(this.path);
      if (stat.mtimeMs === this.seenMtimeMs && stat.size === this.seenSize) return { changed: false };
    } catch {
      // Fall through: reload() reports the unreadable file and keeps the last good state.
    }
    return this.reload();
  }

  private remember(): void {
    try {
      const stat = statSync(this.path);
      this.seenMtimeMs = stat.mtimeMs;
      this.seenSize = stat.size;
    } catch {
      this.seenMtimeMs = -1;
      this.seenSize = -1;
    }
  }
}
