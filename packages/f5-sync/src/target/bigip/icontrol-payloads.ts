// iControl REST answers validated once, at the edge, into the pool model (pools, members, transactions, version).

import { CodedError } from '@consul-sidecars/core';
import { parseMemberName } from '../member-names';
import { normaliseMonitorRule, type LiveMember, type LivePool } from '../pool-model';

export interface TransactionState {
  transId: number;
  state: string;
  timeoutSeconds?: number;
  failureReason?: string;
}

function payloadError(what: string, field: string, value: unknown): CodedError {
  return new CodedError('ERR_ICONTROL_PAYLOAD', `unexpected iControl ${what}: ${field} is ${JSON.stringify(value)}`, { field, value });
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw payloadError(what, '(body)', value);
  return value as Record<string, unknown>;
}

function str(obj: Record<string, unknown>, key: string, what: string, required: boolean): string | undefined {
  const value = obj[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') throw payloadError(what, key, value);
  return value;
}

function int(obj: Record<string, unknown>, key: string, what: string, fallback: number): number {
  const value = obj[key];
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw payloadError(what, key, value);
  return n;
}

/** A member item as GET …/members returns it (kind tm:ltm:pool:members:membersstate). */
export function parseLiveMember(raw: unknown): LiveMember {
  const obj = asObject(raw, 'pool member');
  const name = str(obj, 'name', 'pool member', true) as string;
  // Older TMOS answered 200 for missing members: a real member always has its address (f5-sdk Members.exists()).
  const address = str(obj, 'address', `pool member ${name}`, true) as string;
  const { port } = parseMemberName(name);
  return {
    name,
    address,
    port,
    priorityGroup: int(obj, 'priorityGroup', `pool member ${name}`, 0),
    ratio: int(obj, 'ratio', `pool member ${name}`, 1),
    session: str(obj, 'session', `pool member ${name}`, false) ?? 'monitor-enabled',
    state: str(obj, 'state', `pool member ${name}`, false) ?? 'unchecked',
    description: str(obj, 'description', `pool member ${name}`, false),
  };
}

/** A members collection (…:memberscollectionstate) into members. */
export function parseMemberCollection(raw: unknown): LiveMember[] {
  const obj = asObject(raw, 'member collection');
  const items = obj.items ?? [];
  if (!Array.isArray(items)) throw payloadError('member collection', 'items', items);
  return items.map(parseLiveMember);
}

/**
 * A pool as GET /mgmt/tm/ltm/pool/<pool>?expandSubcollections=true returns it. Members come from
 * membersReference.items; like any BIG-IP collection an empty one has no `items`, so with `expanded`
 * a missing list means "no members". `undefined` members means "not expanded: read them separately".
 */
export function parseLivePool(raw: unknown, expanded = false): Omit<LivePool, 'members'> & { members?: LiveMember[] } {
  const obj = asObject(raw, 'pool');
  const name = str(obj, 'name', 'pool', true) as string;
  const what = `pool ${name}`;
  const monitor = str(obj, 'monitor', what, false);
  const ref = obj.membersReference;
  let members: LiveMember[] | undefined;
  if (typeof ref === 'object' && ref !== null && Array.isArray((ref as Record<string, unknown>).items)) {
    members = ((ref as Record<string, unknown>).items as unknown[]).map(parseLiveMember);
  } else if (expanded && typeof ref === 'object' && ref !== null) {
    members = [];
  }
  return {
    name,
    partition: str(obj, 'partition', what, false) ?? 'Common',
    description: str(obj, 'description', what, false),
    loadBalancingMode: str(obj, 'loadBalancingMode', what, false) ?? 'round-robin',
    minActiveMembers: int(obj, 'minActiveMembers', what, 0),
    // BIG-IP reads a monitor back with a trailing space ("/Common/http ").
    monitor: monitor === undefined ? undefined : normaliseMonitorRule(monitor),
    members,
  };
}

export function parseTransactionState(raw: unknown): TransactionState {
  const obj = asObject(raw, 'transaction');
  const transId = int(obj, 'transId', 'transaction', NaN);
  if (!Number.isFinite(transId)) throw payloadError('transaction', 'transId', obj.transId);
  return {
    transId,
    state: str(obj, 'state', 'transaction', true) as string,
    timeoutSeconds: obj.timeoutSeconds === undefined ? undefined : int(obj, 'timeoutSeconds', 'transaction', 0),
    failureReason: typeof obj.failureReason === 'string' ? obj.failureReason : undefined,
  };
}

/** GET /mgmt/tm/sys/version: the version string, found however deeply the entries nest it. */
export function parseVersion(raw: unknown): string | undefined {
  const text = JSON.stringify(raw ?? {});
  const match = /"Version"\s*:\s*\{\s*"description"\s*:\s*"([^"]+)"/.exec(text);
  return match?.[1];
}
