// Observe: per desired service, its instances' health from Consul and its compose containers from Docker.

import { createHash } from 'node:crypto';
import { callWithResponse, errorMessage, type ConsulClient } from '@consul-sidecars/core';
import type { DesiredState, ServiceSpec } from './desired-state';
import { listComposeContainers, type ComposeContainer } from './docker-containers';

export type CheckStatus = 'passing' | 'warning' | 'critical';

/** One Consul service instance with its aggregated health (the worst of its service and node checks). */
export interface InstanceHealth {
  id: string;
  node: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  status: CheckStatus;
  /** Set when the node or the instance is in Consul maintenance mode: never counted healthy. */
  maintenance?: 'node' | 'service';
  /** Names of the checks that are not passing (for logs). */
  failingChecks: string[];
}

export interface ServiceLive {
  service: string;
  /** Undefined when Consul could not be read for this service. */
  instances?: InstanceHealth[];
  /** Undefined when Docker could not be read for this service. */
  containers?: ComposeContainer[];
  consulError?: string;
  dockerError?: string;
}

export interface LiveState {
  /** When the observation started (ms since epoch). */
  at: number;
  /** Consul as a whole answered and has a leader. */
  consulOk: boolean;
  consulError?: string;
  services: Record<string, ServiceLive>;
}

interface RawCheck {
  CheckID?: string;
  Name?: string;
  Status?: string;
  ServiceID?: string;
}

interface RawHealthEntry {
  Node?: { Node?: string; Address?: string };
  Service?: { ID?: string; Service?: string; Tags?: string[] | null; Address?: string; Port?: number; Meta?: Record<string, string> | null };
  Checks?: RawCheck[] | null;
}

const RANK: Record<CheckStatus, number> = { passing: 0, warning: 1, critical: 2 };

function checkStatus(status: string | undefined): CheckStatus {
  if (status === 'passing' || status === 'warning') return status;
  // "critical", "maintenance" and anything unknown: not healthy.
  return 'critical';
}

/** Normalises /v1/health/service/<name> (all instances): healthy is computed here, as Consul's ?passing does, plus maintenance. */
export function normaliseHealthEntries(raw: unknown): InstanceHealth[] {
  if (!Array.isArray(raw)) throw new Error(`health answer is not a list (got ${typeof raw})`);
  return (raw as RawHealthEntry[]).map((entry) => {
    const id = entry.Service?.ID ?? '';
    let status: CheckStatus = 'passing';
    let maintenance: InstanceHealth['maintenance'];
    const failingChecks: string[] = [];
    for (const check of entry.Checks ?? []) {
      const s = checkStatus(check.Status);
      if (check.CheckID === '_node_maintenance') maintenance = 'node';
      else if (check.CheckID?.startsWith('_service_maintenance:') && maintenance !== 'node') maintenance = 'service';
      if (s !== 'passing') failingChecks.push(check.CheckID ?? check.Name ?? '?');
      if (RANK[s] > RANK[status]) status = s;
    }
    const out: InstanceHealth = {
      id,
      node: entry.Node?.Node ?? '',
      address: entry.Service?.Address || entry.Node?.Address || '',
      port: entry.Service?.Port ?? 0,
      tags: entry.Service?.Tags ?? [],
      meta: entry.Service?.Meta ?? {},
      status,
      failingChecks,
    };
    if (maintenance) out.maintenance = maintenance;
    return out;
  });
}

/**
 * Whether a Consul instance is the one a container runs. Registrators name instances after the container
 * (gliderlabs: "host:container-name:port") or carry its id in meta, so both are looked for.
 */
export function instanceBelongsTo(instance: InstanceHealth, container: ComposeContainer): boolean {
  const shortId = container.id.slice(0, 12);
  const idParts = instance.id.split(/[:/]/);
  if (idParts.includes(container.name) || idParts.includes(container.id) || idParts.includes(shortId)) return true;
  if (instance.id === container.name || instance.id === container.id || instance.id === shortId) return true;
  return Object.values(instance.meta).some((v) => v === container.id || v === shortId || v === container.name);
}

/** A short hash of what matters in a live view (for "unchanged" decisions and audit logs). */
export function liveStateHash(live: LiveState): string {
  const view = Object.values(live.services).map((s) => ({
    s: s.service,
    i: (s.instances ?? []).map((i) => [i.id, i.status, i.maintenance ?? '']).sort(),
    c: (s.containers ?? []).map((c) => [c.id, c.state, c.dockerHealth ?? '']).sort(),
    e: [s.consulError ?? '', s.dockerError ?? ''],
  }));
  return createHash('sha256').update(JSON.stringify([live.consulOk, view])).digest('hex').slice(0, 16);
}

type ConsulMethod = (opts: Record<string, unknown>) => Promise<unknown>;

/** consul.health.service as the untyped method core's query helpers take. */
export function healthServiceMethod(consul: ConsulClient): ConsulMethod {
  return consul.health.service.bind(consul.health) as unknown as ConsulMethod;
}

export interface LiveStateReader {
  observe(desired: DesiredState): Promise<LiveState>;
}

export interface ConsulDockerReaderOptions {
  consul: ConsulClient;
  /** Defaults to the compose-label reader; tests may wrap it. */
  listContainers?: typeof listComposeContainers;
  requestTimeoutMs?: number;
}

/** Reads health from Consul (every instance; no ?passing, so maintenance and failing instances are seen) and containers from Docker. */
export class ConsulDockerReader implements LiveStateReader {
  private readonly options: Required<ConsulDockerReaderOptions>;

  constructor(options: ConsulDockerReaderOptions) {
    this.options = { listContainers: listComposeContainers, requestTimeoutMs: 10_000, ...options };
  }

  async observe(desired: DesiredState): Promise<LiveState> {
    const at = Date.now();
    const { consul } = this.options;
    let consulOk = true;
    let consulError: string | undefined;
    try {
      // An agent without a cluster leader answers reads from stale state: treat it as unhealthy.
      const leader = (await consul.status.leader({ timeout: this.options.requestTimeoutMs } as Parameters<typeof consul.status.leader>[0])) as unknown;
      if (typeof leader === 'string' && leader.trim() === '') {
        consulOk = false;
        consulError = 'consul has no leader';
      }
    } catch (err) {
      // Only "no answer" or a server error means an unhealthy Consul; an agent that lacks the endpoint (404) is judged by the reads below.
      if ((err as { statusCode?: number }).statusCode !== 404) {
        consulOk = false;
        consulError = `consul unreachable: ${errorMessage(err)}`;
      }
    }
    const services: Record<string, ServiceLive> = {};
    await Promise.all(desired.services.map(async (spec) => {
      services[spec.name] = await this.observeService(spec);
    }));
    if (consulOk && Object.values(services).every((s) => s.consulError)) {
      consulOk = false;
      consulError = Object.values(services)[0]?.consulError;
    }
    return { at, consulOk, ...(consulError ? { consulError } : {}), services };
  }

  private async observeService(spec: ServiceSpec): Promise<ServiceLive> {
    const live: ServiceLive = { service: spec.name };
    const options: Record<string, unknown> = { service: spec.name, timeout: this.options.requestTimeoutMs };
    if (spec.tag) options.tag = spec.tag;
    const [health, containers] = await Promise.allSettled([
      callWithResponse<unknown>(healthServiceMethod(this.options.consul), options),
      this.options.listContainers(spec.scale),
    ]);
    if (health.status === 'fulfilled') {
      try {
        live.instances = normaliseHealthEntries(health.value.data);
      } catch (err) {
        live.consulError = errorMessage(err);
      }
    } else {
      live.consulError = errorMessage(health.reason);
    }
    if (containers.status === 'fulfilled') live.containers = containers.value;
    else live.dockerError = errorMessage(containers.reason);
    return live;
  }
}
