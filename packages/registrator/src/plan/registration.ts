// What registrator registers with the Consul agent: a service with its checks, its ownership marker and a spec hash.

import { createHash } from 'node:crypto';
import type { AgentService } from '../observe/agent-view';

/** Meta keys registrator reserves on every service it registers (the ownership marker). */
export const META_NODE = 'registrator-node';
export const META_CONTAINER = 'registrator-container';
export const META_SPEC = 'registrator-spec';
export const RESERVED_META_KEYS = [META_NODE, META_CONTAINER, META_SPEC];

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface CheckDefinition {
  checkId: string;
  name: string;
  http?: string;
  method?: string;
  tcp?: string;
  grpc?: string;
  grpcUseTls?: boolean;
  tlsSkipVerify?: boolean;
  args?: string[];
  ttl?: string;
  interval?: string;
  timeout?: string;
  /** Initial status at registration. */
  status?: CheckStatus;
  deregisterCriticalServiceAfter?: string;
  notes?: string;
}

/** The service as the agent will hold it (its `meta`: user Meta plus the ownership marker: node, container, spec hash), with its checks. */
export interface ServiceRegistration extends AgentService {
  checks: CheckDefinition[];
}

/** A TTL check registrator feeds itself (Docker HEALTHCHECK or -ttl), with the status it should have now. */
export interface TtlStatus {
  checkId: string;
  status: CheckStatus;
  output: string;
}

/** Hash of everything in a registration except the hash itself and initial check statuses (those change at runtime). */
export function registrationSpecHash(reg: Omit<ServiceRegistration, 'meta'> & { meta: Record<string, string> }): string {
  const meta = Object.fromEntries(Object.entries(reg.meta).filter(([k]) => k !== META_SPEC).sort(([a], [b]) => a.localeCompare(b)));
  const checks = [...reg.checks]
    .map(({ status: _status, ...rest }) => Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))))
    .sort((a, b) => String(a.checkId).localeCompare(String(b.checkId)));
  const canonical = JSON.stringify({ id: reg.id, name: reg.name, tags: [...reg.tags].sort(), address: reg.address, port: reg.port, meta, checks });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
