// The typed values templates see: views of core's parsed answers (consul-template's field names), narrowed to
// what templates read, with names and tags already safe for the rendered syntax and in a stable order.

import type {
  CatalogNode as ConsulCatalogNode,
  CatalogService as ConsulCatalogService,
  HealthCheck as ConsulHealthCheck,
  KvEntry,
  ServiceInstance as ConsulServiceInstance,
} from '@consul-sidecars/core';
import type { CatalogNodeService } from '../gotemplate/data-source';

/** core's: passing | warning | critical (maintenance reads critical); passing (default, filtered by Consul) | warning | any. */
export type { HealthStatus, StatusFilter } from '@consul-sidecars/core';

export type CatalogService = ConsulCatalogService;

/** The fields beyond these five are what Go templates read (consul-template's api.HealthCheck); optional for test data. */
export type HealthCheck = Pick<ConsulHealthCheck, 'CheckID' | 'Name' | 'Status' | 'Output' | 'ServiceID'>
  & Partial<Pick<ConsulHealthCheck, 'Node' | 'Notes' | 'ServiceName' | 'ServiceTags' | 'Type'>>;

/**
 * One instance: `Address` is the service's, else its node's (as Consul's DNS does); `Status` the worst of the node's
 * and the service's checks; `Role` is `Meta.role`, else a `role=<r>` tag, else a plain role tag (master, slave...).
 */
export type ServiceInstance = Pick<ConsulServiceInstance, 'ID' | 'Name' | 'Node' | 'NodeAddress' | 'Address' | 'Port' | 'Tags' | 'Meta' | 'NodeMeta' | 'Weights' | 'Status'> & {
  Checks: HealthCheck[];
  Role?: string;
} & Partial<Pick<ConsulServiceInstance, 'NodeID' | 'NodeTaggedAddresses' | 'TaggedAddresses' | 'Maintenance'>>;
// The optional fields are kept for Go templates (consul-template's HealthService has them); test data may omit them.

export type CatalogNode = Pick<ConsulCatalogNode, 'Node' | 'ID' | 'Address' | 'Datacenter' | 'Meta'> & Partial<Pick<ConsulCatalogNode, 'TaggedAddresses'>>;

/** One service of /v1/catalog/node/<name>: the fields consul-template's CatalogNodeService has. */
export type NodeService = CatalogNodeService;

/** /v1/catalog/node/<name>: the node and its services (sorted by ID). */
export interface CatalogNodeServices {
  Node: CatalogNode;
  Services: NodeService[];
}

/** `Key` is relative to the prefix for `ls`/`tree`, the full key for `key`; a key with no value reads ''. */
export type KvPair = Pick<KvEntry, 'Key' | 'Flags'> & { Value: string } & Partial<Pick<KvEntry, 'CreateIndex' | 'ModifyIndex' | 'LockIndex' | 'Session'>> & {
  /** The full key (Go templates' `.Path`). */
  Path?: string;
};
