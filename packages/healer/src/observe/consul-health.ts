// Consul's /v1/health/service answer, parsed once into instances with their aggregated status and maintenance.

import type { ConsulClient } from '@consul-sidecars/core';
import { healerError } from '../errors';

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
  if (!Array.isArray(raw)) throw healerError('ERR_CONSUL_PAYLOAD', `health answer is not a list (got ${typeof raw})`, { got: typeof raw });
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

type ConsulMethod = (opts: Record<string, unknown>) => Promise<unknown>;

/** consul.health.service as the untyped method core's query helpers take (they add ctx, index, wait, timeout). */
export function healthServiceMethod(consul: ConsulClient): ConsulMethod {
  return (opts) => consul.health.service({ ...opts, service: String(opts.service) });
}
