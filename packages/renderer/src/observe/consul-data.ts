// The typed values templates see: what each query kind makes of core's parsed answers (a stable order, names and
// tags safe for the rendered syntax, consul-template's field names).

import type { HealthStatus } from '@consul-sidecars/core';

/** core's: passing | warning | critical (maintenance reads critical); passing (default, filtered by Consul) | warning | any. */
export type { HealthStatus, StatusFilter } from '@consul-sidecars/core';

export interface CatalogService {
  Name: string;
  Tags: string[];
}

export interface HealthCheck {
  CheckID: string;
  Name: string;
  Status: HealthStatus;
  Output: string;
  ServiceID: string;
}

export interface ServiceInstance {
  ID: string;
  Name: string;
  Node: string;
  NodeAddress: string;
  /** The service address, or the node's when the service has none (as Consul's DNS does). */
  Address: string;
  Port: number;
  Tags: string[];
  Meta: Record<string, string>;
  NodeMeta: Record<string, string>;
  Weights: { Passing: number; Warning: number };
  /** Worst status of the node's and the service's checks. */
  Status: HealthStatus;
  Checks: HealthCheck[];
  /** `Meta.role`, else the value of a `role=<r>` tag, else a plain role tag (master, slave...). */
  Role?: string;
}

export interface CatalogNode {
  Node: string;
  ID: string;
  Address: string;
  Datacenter: string;
  Meta: Record<string, string>;
}

export interface KvPair {
  /** Relative to the prefix for `ls`/`tree`, the full key for `key`. */
  Key: string;
  Value: string;
  Flags: number;
}
