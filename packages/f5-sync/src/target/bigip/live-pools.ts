// Observe the BIG-IP: a pool with its members as it is now (the diff is always against live state, so drift is seen).

import { poolKey } from '../../config';
import type { LivePool, PoolRef } from '../pool-model';
import { membersPath, poolPath } from './icontrol-paths';
import type { IcontrolClient } from './icontrol-client';
import { isNotFound } from './icontrol-errors';
import { parseLivePool, parseMemberCollection } from './icontrol-payloads';

async function withMembers(client: IcontrolClient, parsed: ReturnType<typeof parseLivePool>): Promise<LivePool> {
  const members = parsed.members ?? parseMemberCollection(await client.request({ method: 'GET', path: membersPath(parsed) }));
  return { ...parsed, members };
}

/** One pool and its members (expanded in the same GET); `undefined` when the pool does not exist. */
export async function readLivePool(client: IcontrolClient, ref: PoolRef): Promise<LivePool | undefined> {
  let raw: unknown;
  try {
    raw = await client.request({ method: 'GET', path: `${poolPath(ref)}?expandSubcollections=true` });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return withMembers(client, parseLivePool(raw, true));
}

/**
 * Many pools in one collection read (a full resync of 1,000 pools is one GET, not 1,000).
 * Keys are poolKey(); a pool absent from the BIG-IP maps to `undefined`.
 */
export async function readLivePools(client: IcontrolClient, refs: readonly PoolRef[]): Promise<Map<string, LivePool | undefined>> {
  const out = new Map<string, LivePool | undefined>();
  if (refs.length === 0) return out;
  if (refs.length === 1) {
    out.set(poolKey(refs[0]), await readLivePool(client, refs[0]));
    return out;
  }
  const wanted = new Set(refs.map(poolKey));
  // One partition (a syncer's own, the usual case): only its pools are read, never another syncer's.
  const partitions = new Set(refs.map((ref) => ref.partition));
  const filter = partitions.size === 1 ? `&$filter=${encodeURIComponent(`partition eq ${[...partitions][0]}`)}` : '';
  const raw = await client.request<{ items?: unknown[] }>({ method: 'GET', path: `/mgmt/tm/ltm/pool?expandSubcollections=true${filter}` });
  for (const item of Array.isArray(raw?.items) ? raw.items : []) {
    const parsed = parseLivePool(item, true);
    const key = poolKey(parsed);
    if (wanted.has(key)) out.set(key, await withMembers(client, parsed));
  }
  for (const key of wanted) if (!out.has(key)) out.set(key, undefined);
  return out;
}

/** Every pool of these partitions (one collection GET each): how a full pass finds declared pools left over. */
export async function readPartitionPools(client: IcontrolClient, partitions: readonly string[]): Promise<LivePool[]> {
  const out: LivePool[] = [];
  for (const partition of new Set(partitions)) {
    const filter = encodeURIComponent(`partition eq ${partition}`);
    const raw = await client.request<{ items?: unknown[] }>({ method: 'GET', path: `/mgmt/tm/ltm/pool?expandSubcollections=true&$filter=${filter}` });
    for (const item of Array.isArray(raw?.items) ? raw.items : []) {
      const parsed = parseLivePool(item, true);
      if (parsed.partition === partition) out.push(await withMembers(client, parsed));
    }
  }
  return out;
}
