// The LTM configuration the stand-in holds (pools, members, nodes), with BIG-IP's defaults in one place.
import { framework, mcpd } from './errors';
import { DraftMap, settleMap } from './draft-map';
import { fullPathOf, type ObjectRef } from './names';

export type UserState = 'user-up' | 'user-down';
export type UserSession = 'user-enabled' | 'user-disabled';
/** What a (simulated) health monitor says about a monitored member. */
export type MonitorStatus = 'up' | 'down';

export interface PoolAttributes {
  description?: string;
  allowNat: string;
  allowSnat: string;
  ignorePersistedWeight: string;
  ipTosToClient: string;
  ipTosToServer: string;
  linkQosToClient: string;
  linkQosToServer: string;
  loadBalancingMode: string;
  minActiveMembers: number;
  minUpMembers: number;
  minUpMembersAction: string;
  minUpMembersChecking: string;
  /** Canonical monitor rule ("/Common/http and /Common/tcp"), absent for none. */
  monitor?: string;
  queueDepthLimit: number;
  queueOnConnectionLimit: string;
  queueTimeLimit: number;
  reselectTries: number;
  serviceDownAction: string;
  slowRampTime: number;
}

export const POOL_DEFAULTS: Readonly<PoolAttributes> = {
  allowNat: 'yes',
  allowSnat: 'yes',
  ignorePersistedWeight: 'disabled',
  ipTosToClient: 'pass-through',
  ipTosToServer: 'pass-through',
  linkQosToClient: 'pass-through',
  linkQosToServer: 'pass-through',
  loadBalancingMode: 'round-robin',
  // Priority group activation disabled, the GUI default.
  minActiveMembers: 0,
  minUpMembers: 0,
  minUpMembersAction: 'failover',
  minUpMembersChecking: 'disabled',
  queueDepthLimit: 0,
  queueOnConnectionLimit: 'disabled',
  queueTimeLimit: 0,
  reselectTries: 0,
  serviceDownAction: 'none',
  slowRampTime: 10,
};

export interface MemberAttributes {
  description?: string;
  connectionLimit: number;
  dynamicRatio: number;
  fqdn: Record<string, unknown>;
  inheritProfile: string;
  logging: string;
  /** "default" inherits the pool's monitor. */
  monitor: string;
  priorityGroup: number;
  rateLimit: string;
  ratio: number;
  /** Only the writable values are stored; the read values are derived (see memberReadState). */
  state: UserState;
  session: UserSession;
}

export const MEMBER_DEFAULTS: Readonly<MemberAttributes> = {
  connectionLimit: 0,
  dynamicRatio: 1,
  fqdn: { autopopulate: 'disabled' },
  inheritProfile: 'enabled',
  logging: 'disabled',
  monitor: 'default',
  priorityGroup: 0,
  rateLimit: 'disabled',
  ratio: 1,
  state: 'user-up',
  session: 'user-enabled',
};

export interface NodeAttributes {
  description?: string;
  connectionLimit: number;
  dynamicRatio: number;
  fqdn: Record<string, unknown>;
  logging: string;
  monitor: string;
  rateLimit: string;
  ratio: number;
  state: UserState;
  session: UserSession;
}

export const NODE_DEFAULTS: Readonly<NodeAttributes> = {
  connectionLimit: 0,
  dynamicRatio: 1,
  fqdn: { addressFamily: 'ipv4', autopopulate: 'disabled', downInterval: 5, interval: '3600' },
  logging: 'disabled',
  monitor: 'default',
  rateLimit: 'disabled',
  ratio: 1,
  state: 'user-up',
  session: 'user-enabled',
};

export interface MemberRecord extends ObjectRef {
  /** The node's address, derived at creation and read-only afterwards. */
  address: string;
  port: number;
  /** Name of the node (same partition) this member uses. */
  nodeName: string;
  attributes: MemberAttributes;
  /** Simulated monitor result; only matters when a monitor applies to the member. */
  monitorStatus: MonitorStatus;
  generation: number;
}

export interface PoolRecord extends ObjectRef {
  attributes: PoolAttributes;
  members: MemberRecord[];
  generation: number;
}

export interface NodeRecord extends ObjectRef {
  address: string;
  attributes: NodeAttributes;
  generation: number;
}

/** An administrative partition (auth partition + its folder). */
export interface PartitionRecord {
  name: string;
  description?: string;
  /** The folder's own description (sys folder), separate from the partition's. */
  folderDescription?: string;
  defaultRouteDomain: number;
  generation: number;
}

/** Objects kept as validated attribute bags (monitors, virtual servers, SNAT pools, ...): see ltm-objects.ts. */
export interface ObjectRecord extends ObjectRef {
  attributes: Record<string, unknown>;
  generation: number;
}

export interface LtmConfig {
  /** mcpd's configuration generation: one counter for the whole box, bumped by every change. */
  generation: number;
  /** Keyed by name ("Common"). */
  partitions: Map<string, PartitionRecord>;
  /** Keyed by full path. Map order is creation order, which is what collection GETs return. */
  pools: Map<string, PoolRecord>;
  nodes: Map<string, NodeRecord>;
  /** Node full path by partition and address (`nodeAddressKey`), so a new member finds its node in O(1). */
  nodeAddresses: Map<string, string>;
  /** Keyed by object kind (its mgmt path, "/mgmt/tm/ltm/virtual"), then by full path. */
  objects: Map<string, Map<string, ObjectRecord>>;
}

export const COMMON_DESCRIPTION = 'Repository for system objects and shared objects.';

export function emptyConfig(partitions: readonly string[]): LtmConfig {
  const records = new Map<string, PartitionRecord>();
  for (const name of ['Common', ...partitions]) {
    if (!records.has(name)) records.set(name, { name, defaultRouteDomain: 0, generation: 1, ...(name === 'Common' ? { description: COMMON_DESCRIPTION } : {}) });
  }
  return { generation: 1, partitions: records, pools: new Map(), nodes: new Map(), nodeAddresses: new Map(), objects: new Map() };
}

/**
 * Operations run on a draft that replaces the live config only when they all succeed. The draft's maps are
 * copy-on-write overlays (draft-map.ts): a write costs what it touches, not the size of the box (copying the
 * pool and node maps on every write made an initial sync of 1,000 pools quadratic).
 */
export function cloneConfig(config: LtmConfig): LtmConfig {
  return {
    generation: config.generation,
    partitions: new DraftMap(config.partitions),
    pools: new DraftMap(config.pools),
    nodes: new DraftMap(config.nodes),
    nodeAddresses: new DraftMap(config.nodeAddresses),
    objects: new Map([...config.objects].map(([kind, records]) => [kind, new DraftMap(records)])),
  };
}

/**
 * The draft after every operation succeeded, to become the live config: its changes are replayed onto the
 * live maps, which the returned config keeps. Only the live config may be settled into (one draft at a time).
 */
export function settleDraft(draft: LtmConfig): LtmConfig {
  return {
    generation: draft.generation,
    partitions: settleMap(draft.partitions),
    pools: settleMap(draft.pools),
    nodes: settleMap(draft.nodes),
    nodeAddresses: settleMap(draft.nodeAddresses),
    objects: new Map([...draft.objects].map(([kind, records]) => [kind, settleMap(records)])),
  };
}

/** The key of `nodeAddresses`: one node per address in a partition. */
export function nodeAddressKey(partition: string, address: string): string {
  return `${partition} ${address}`;
}

/** The records of one object kind, created empty on first use. */
export function objectsOf(config: LtmConfig, kind: string): Map<string, ObjectRecord> {
  let records = config.objects.get(kind);
  if (!records) {
    records = new Map();
    config.objects.set(kind, records);
  }
  return records;
}

/** Whether a user-made monitor of any type has this full path (pools and members may name it). */
export function userMonitorExists(config: LtmConfig): (fullPath: string) => boolean {
  return (fullPath) => [...config.objects].some(([kind, records]) => kind.startsWith('/mgmt/tm/ltm/monitor/') && records.has(fullPath));
}

export function nextGeneration(config: LtmConfig): number {
  config.generation += 1;
  return config.generation;
}

export function requirePartition(config: LtmConfig, partition: string): void {
  if (!config.partitions.has(partition)) throw framework.folderNotFound(partition);
}

export function findPool(config: LtmConfig, ref: ObjectRef): PoolRecord {
  const fullPath = fullPathOf(ref);
  const pool = config.pools.get(fullPath);
  if (!pool) throw mcpd.poolNotFound(fullPath);
  return pool;
}

/** Identity properties in a body must name the object the URL names; BIG-IP does not rename. */
export function checkIdentity(item: string, target: ObjectRef, fields: { name?: string; partition?: string }): void {
  if (fields.name !== undefined && fields.name !== target.name) throw framework.nameMismatch(item, fullPathOf(target), fields.name);
  if (fields.partition !== undefined && fields.partition !== target.partition) {
    throw framework.nameMismatch(item, fullPathOf(target), `/${fields.partition}/${target.name}`);
  }
}

/** Object names: no path separators, whitespace or URL-special characters. */
export function checkObjectName(item: string, name: string): void {
  if (!/^[A-Za-z0-9_.:%-]+$/.test(name) || name.startsWith('.')) {
    throw framework.invalidValue(item, 'name', name, 'letters, digits and . _ - : %');
  }
}
