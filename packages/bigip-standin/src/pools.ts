// LTM pools (/mgmt/tm/ltm/pool): create, PATCH (partial), PUT (full, defaults for what is left out), delete.
import { selfLink } from './bigip-version';
import { framework, mcpd } from './errors';
import { checkPoolUnused } from './virtual-servers';
import { checkIdentity, checkObjectName, findPool, nextGeneration, POOL_DEFAULTS, requirePartition, userMonitorExists, type LtmConfig, type PoolAttributes, type PoolRecord } from './ltm-config';
import { renderMember, replaceMembership } from './members';
import { canonicalMonitorRule, monitorRuleAsRead } from './monitor-rules';
import { DEFAULT_PARTITION, fullPathOf, urlSegmentOf, type ObjectRef } from './names';
import { POOL_SCHEMA, validateFields } from './payload-validation';

export const POOL_ITEM = '/ltm/pool';

type PoolInput = Partial<PoolAttributes> & { name?: string; partition?: string; members?: unknown[] };

export function renderPool(pool: PoolRecord, expandMembers = false): Record<string, unknown> {
  const { description, monitor, ...attributes } = pool.attributes;
  const membersPath = `/mgmt/tm/ltm/pool/${urlSegmentOf(pool)}/members`;
  return {
    kind: 'tm:ltm:pool:poolstate',
    name: pool.name,
    partition: pool.partition,
    fullPath: fullPathOf(pool),
    generation: pool.generation,
    selfLink: selfLink(`/mgmt/tm/ltm/pool/${urlSegmentOf(pool)}`),
    ...(description === undefined ? {} : { description }),
    ...attributes,
    ...(monitor === undefined ? {} : { monitor: monitorRuleAsRead(monitor) }),
    membersReference: {
      link: selfLink(membersPath),
      isSubcollection: true,
      ...(expandMembers && pool.members.length > 0 ? { items: pool.members.map((member) => renderMember(pool, member)) } : {}),
    },
  };
}

function attributesFrom(config: LtmConfig, base: Readonly<PoolAttributes>, input: PoolInput): PoolAttributes {
  const { name: _name, partition: _partition, members: _members, ...given } = input;
  const attributes: PoolAttributes = { ...base, ...given };
  if (given.monitor !== undefined) {
    const monitor = canonicalMonitorRule(given.monitor, userMonitorExists(config));
    if (monitor === undefined) delete attributes.monitor;
    else attributes.monitor = monitor;
  }
  return attributes;
}

export function createPool(config: LtmConfig, body: unknown): PoolRecord {
  const fields = validateFields<PoolInput>(POOL_ITEM, body, POOL_SCHEMA);
  if (fields.name === undefined) throw framework.missingProperty(POOL_ITEM, 'name');
  checkObjectName(POOL_ITEM, fields.name);
  const ref = { partition: fields.partition ?? DEFAULT_PARTITION, name: fields.name };
  requirePartition(config, ref.partition);
  if (config.pools.has(fullPathOf(ref))) throw mcpd.poolExists(fullPathOf(ref), ref.partition);
  const pool: PoolRecord = { ...ref, attributes: attributesFrom(config, POOL_DEFAULTS, fields), members: [], generation: 0 };
  if (fields.members) replaceMembership(config, pool, fields.members, 'put');
  pool.generation = nextGeneration(config);
  config.pools.set(fullPathOf(ref), pool);
  return pool;
}

/** PATCH changes only what the body names; PUT resets every attribute the body leaves out. */
export function updatePool(config: LtmConfig, ref: ObjectRef, body: unknown, mode: 'patch' | 'put'): PoolRecord {
  const pool = findPool(config, ref);
  const fields = validateFields<PoolInput>(POOL_ITEM, body, POOL_SCHEMA);
  checkIdentity(POOL_ITEM, pool, fields);
  if (Object.keys(fields).length === 0) throw framework.noProperties();
  pool.attributes = attributesFrom(config, mode === 'put' ? POOL_DEFAULTS : pool.attributes, fields);
  if (fields.members) replaceMembership(config, pool, fields.members, mode);
  pool.generation = nextGeneration(config);
  return pool;
}

export function deletePool(config: LtmConfig, ref: ObjectRef): void {
  const pool = findPool(config, ref);
  checkPoolUnused(config, pool);
  // Members go with the pool; their nodes stay.
  config.pools.delete(fullPathOf(pool));
  nextGeneration(config);
}
