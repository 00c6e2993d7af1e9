// Pool members (/mgmt/tm/ltm/pool/~P~pool/members): create, update, delete, and the derived state/session.
import { selfLink } from './bigip-version';
import { framework, mcpd } from './errors';
import { userMonitorExists, checkIdentity, findPool, MEMBER_DEFAULTS, nextGeneration, requirePartition, type LtmConfig, type MemberAttributes, type MemberRecord, type PoolRecord } from './ltm-config';
import { canonicalMonitorRule, monitorRuleAsRead } from './monitor-rules';
import { memberNameOf, parseMemberName, urlSegmentOf, type ObjectRef } from './names';
import { ensureNodeForMember } from './nodes';
import { MEMBER_SCHEMA, requireObjectBody, validateFields } from './payload-validation';

export const MEMBER_ITEM = '/ltm/pool/members';

type MemberInput = Partial<MemberAttributes> & { name?: string; partition?: string; address?: string };

/** A member is monitored by its own monitor, or by the pool's when its monitor is "default". */
export function isMonitored(pool: PoolRecord, member: MemberRecord): boolean {
  const monitor = member.attributes.monitor;
  return monitor === 'default' ? pool.attributes.monitor !== undefined : monitor !== 'none';
}

/**
 * The values a GET shows: user-down wins; otherwise the monitor's verdict, or "unchecked" with no
 * monitor. An enabled session reads "monitor-enabled" under a monitor, "user-enabled" without.
 */
export function memberReadState(pool: PoolRecord, member: MemberRecord): { state: string; session: string } {
  const monitored = isMonitored(pool, member);
  return {
    state: member.attributes.state === 'user-down' ? 'user-down' : monitored ? member.monitorStatus : 'unchecked',
    session: member.attributes.session === 'user-disabled' ? 'user-disabled' : monitored ? 'monitor-enabled' : 'user-enabled',
  };
}

function nodeLabel(member: { partition: string; nodeName: string }): string {
  return `/${member.partition}/${member.nodeName}`;
}

export function renderMember(pool: PoolRecord, member: MemberRecord): Record<string, unknown> {
  const { description, monitor, state: _state, session: _session, fqdn, ...attributes } = member.attributes;
  return {
    kind: 'tm:ltm:pool:members:membersstate',
    name: member.name,
    partition: member.partition,
    fullPath: `/${member.partition}/${member.name}`,
    generation: member.generation,
    selfLink: selfLink(`/mgmt/tm/ltm/pool/${urlSegmentOf(pool)}/members/${urlSegmentOf(member)}`),
    address: member.address,
    connectionLimit: attributes.connectionLimit,
    ...(description === undefined ? {} : { description }),
    dynamicRatio: attributes.dynamicRatio,
    ephemeral: 'false',
    fqdn,
    inheritProfile: attributes.inheritProfile,
    logging: attributes.logging,
    monitor: monitor === 'default' || monitor === 'none' ? monitor : monitorRuleAsRead(monitor),
    priorityGroup: attributes.priorityGroup,
    rateLimit: attributes.rateLimit,
    ratio: attributes.ratio,
    ...memberReadState(pool, member),
  };
}

function findMemberIn(pool: PoolRecord, ref: ObjectRef): MemberRecord {
  const member = pool.members.find((candidate) => candidate.partition === ref.partition && candidate.name === ref.name);
  if (member) return member;
  let parsed;
  try {
    parsed = parseMemberName(MEMBER_ITEM, ref.name);
  } catch {
    throw framework.objectNotFound(`/${ref.partition}/${ref.name}`);
  }
  throw mcpd.memberNotFound(`/${pool.partition}/${pool.name}`, `/${ref.partition}/${parsed.host}`, parsed.port);
}

export function findMember(config: LtmConfig, poolRef: ObjectRef, memberRef: ObjectRef): { pool: PoolRecord; member: MemberRecord } {
  const pool = findPool(config, poolRef);
  return { pool, member: findMemberIn(pool, memberRef) };
}

function normaliseMonitor(config: LtmConfig, monitor: string): string {
  return monitor === 'default' ? 'default' : (canonicalMonitorRule(monitor, userMonitorExists(config)) ?? 'none');
}

/**
 * Builds a member from a body. With `previous` the member exists: identity and address must match,
 * and PATCH keeps its other attributes while PUT resets them to the defaults.
 */
function buildMember(config: LtmConfig, pool: PoolRecord, body: unknown, mode: 'patch' | 'put', previous?: MemberRecord): MemberRecord {
  const fields = validateFields<MemberInput>(MEMBER_ITEM, body, MEMBER_SCHEMA);
  const { name, partition, address, ...attributes } = fields;
  let identity: Pick<MemberRecord, 'name' | 'partition' | 'address' | 'port' | 'nodeName'>;
  if (previous) {
    checkIdentity(MEMBER_ITEM, previous, fields);
    if (address !== undefined && address !== previous.address) throw mcpd.addressReadOnly(`/${pool.partition}/${pool.name}`, nodeLabel(previous), previous.port);
    identity = previous;
  } else {
    if (name === undefined) throw framework.missingProperty(MEMBER_ITEM, 'name');
    const { host, port } = parseMemberName(MEMBER_ITEM, name);
    const memberPartition = partition ?? pool.partition;
    requirePartition(config, memberPartition);
    const node = ensureNodeForMember(config, memberPartition, host, address);
    identity = { name: memberNameOf(host, port), partition: memberPartition, address: node.address, port, nodeName: node.name };
  }
  const merged = { ...(mode === 'put' || !previous ? MEMBER_DEFAULTS : previous.attributes), ...attributes };
  return {
    ...identity,
    attributes: { ...merged, monitor: normaliseMonitor(config, merged.monitor) },
    monitorStatus: previous?.monitorStatus ?? 'up',
    generation: nextGeneration(config),
  };
}

function existsError(pool: PoolRecord, member: MemberRecord): Error {
  return mcpd.memberExists(`/${pool.partition}/${pool.name}`, nodeLabel(member), member.port, member.partition);
}

export function createMember(config: LtmConfig, poolRef: ObjectRef, body: unknown): { pool: PoolRecord; member: MemberRecord } {
  const pool = findPool(config, poolRef);
  const member = buildMember(config, pool, body, 'put');
  if (pool.members.some((candidate) => candidate.partition === member.partition && candidate.name === member.name)) {
    throw existsError(pool, member);
  }
  pool.members.push(member);
  pool.generation = nextGeneration(config);
  return { pool, member };
}

export function updateMember(config: LtmConfig, poolRef: ObjectRef, memberRef: ObjectRef, body: unknown, mode: 'patch' | 'put'): { pool: PoolRecord; member: MemberRecord } {
  const { pool, member } = findMember(config, poolRef, memberRef);
  const writable = Object.keys(validateFields(MEMBER_ITEM, body, MEMBER_SCHEMA));
  if (writable.length === 0) throw framework.noProperties();
  const updated = buildMember(config, pool, body, mode, member);
  pool.members[pool.members.indexOf(member)] = updated;
  return { pool, member: updated };
}

export function deleteMember(config: LtmConfig, poolRef: ObjectRef, memberRef: ObjectRef): void {
  const { pool, member } = findMember(config, poolRef, memberRef);
  // The node stays: BIG-IP never deletes a node with its member.
  pool.members.splice(pool.members.indexOf(member), 1);
  pool.generation = nextGeneration(config);
}

/**
 * `members: [...]` in a pool PUT or PATCH: the list becomes the whole membership in one step.
 * Listed members that exist keep their attributes under PATCH and are reset under PUT.
 */
export function replaceMembership(config: LtmConfig, pool: PoolRecord, bodies: unknown[], mode: 'patch' | 'put'): void {
  const next: MemberRecord[] = [];
  for (const body of bodies) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw framework.invalidValue('/ltm/pool', 'members', body, 'an array of member objects');
    const fields = requireObjectBody(body);
    const name = typeof fields.name === 'string' ? fields.name : undefined;
    const partition = typeof fields.partition === 'string' ? fields.partition : pool.partition;
    const previous = name === undefined ? undefined : pool.members.find((member) => member.partition === partition && member.name === name);
    const member = buildMember(config, pool, body, mode, previous);
    if (next.some((candidate) => candidate.partition === member.partition && candidate.name === member.name)) throw existsError(pool, member);
    next.push(member);
  }
  pool.members = next;
}
