// The typed values templates see: views of core's parsed answers (consul-template's field names), narrowed to
// what templates read, with names and tags already safe for the rendered syntax and in a stable order.

import type {
  CatalogNode as ConsulCatalogNode,
  CatalogService as ConsulCatalogService,
  HealthCheck as ConsulHealthCheck,
  KvEntry,
  ServiceInstance as ConsulServiceInstance,
} from '@consul-sidecars/core';

/** core's: passing | warning | critical (maintenance reads critical); passing (default, filtered by Consul) | warning | any. */
export type { HealthStatus, StatusFilter } from '@consul-sidecars/core';

export type CatalogService = ConsulCatalogService;

export type HealthCheck = Pick<ConsulHealthCheck, 'CheckID' | 'Name' | 'Status' | 'Output' | 'ServiceID'>;

/**
 * One instance: `Address` is the service's, else its node's (as Consul's DNS does); `Status` the worst of the node's
 * and the service's checks; `Role` is `Meta.role`, else a `role=<r>` tag, else a plain role tag (master, slave...).
 */
export type ServiceInstance = Pick<ConsulServiceInstance, 'ID' | 'Name' | 'Node' | 'NodeAddress' | 'Address' | 'Port' | 'Tags' | 'Meta' | 'NodeMeta' | 'Weights' | 'Status'> & {
  Checks: HealthCheck[];
  Role?: string;
};

export type CatalogNode = Pick<ConsulCatalogNode, 'Node' | 'ID' | 'Address' | 'Datacenter' | 'Meta'>;

/** `Key` is relative to the prefix for `ls`/`tree`, the full key for `key`; a key with no value reads ''. */
export type KvPair = Pick<KvEntry, 'Key' | 'Flags'> & { Value: string };
