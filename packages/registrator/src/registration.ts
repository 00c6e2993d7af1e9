// What registrator registers with the Consul agent: a service with its checks, its ownership marker and a spec hash.

import { createHash } from 'node:crypto';

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

export interface ServiceRegistration {
  id: string;
  name: string;
  tags: string[];
  address: string;
  port: number;
  /** User Meta plus the ownership marker (node, container, spec hash). */
  meta: Record<string, string>;
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

/** The JSON body of PUT /v1/agent/service/register. */
export function agentRegisterPayload(reg: ServiceRegistration): Record<string, unknown> {
  return {
    ID: reg.id,
    Name: reg.name,
    Tags: reg.tags,
    Address: reg.address,
    Port: reg.port,
    Meta: reg.meta,
    Checks: reg.checks.map((c) => {
      const check: Record<string, unknown> = { CheckID: c.checkId, Name: c.name };
      if (c.http !== undefined) check.HTTP = c.http;
      if (c.method !== undefined) check.Method = c.method;
      if (c.tcp !== undefined) check.TCP = c.tcp;
      if (c.grpc !== undefined) check.GRPC = c.grpc;
      if (c.grpcUseTls !== undefined) check.GRPCUseTLS = c.grpcUseTls;
      if (c.tlsSkipVerify !== undefined) check.TLSSkipVerify = c.tlsSkipVerify;
      if (c.args !== undefined) check.Args = c.args;
      if (c.ttl !== undefined) check.TTL = c.ttl;
      if (c.interval !== undefined) check.Interval = c.interval;
      if (c.timeout !== undefined) check.Timeout = c.timeout;
      if (c.status !== undefined) check.Status = c.status;
      if (c.deregisterCriticalServiceAfter !== undefined) check.DeregisterCriticalServiceAfter = c.deregisterCriticalServiceAfter;
      if (c.notes !== undefined) check.Notes = c.notes;
      return check;
    }),
  };
}
