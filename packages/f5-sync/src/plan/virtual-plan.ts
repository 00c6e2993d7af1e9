// Pure: the virtual servers the configured pools name vs. those on the target -> create, update, remove.
// Owned like members: f5-sync changes or removes only a virtual server whose description carries its mark.

import { poolKey, type PoolConfig } from '../config';
import type { LiveVirtual, SnatSetting, VirtualFields } from '../target/pool-model';
import { ownerDescription, parseOwnerMark } from './owner-mark';

export type VirtualAction =
  | { kind: 'createVirtual'; ref: { partition: string; name: string }; fields: VirtualFields }
  | { kind: 'updateVirtual'; ref: { partition: string; name: string }; changes: Partial<VirtualFields> }
  | { kind: 'removeVirtual'; ref: { partition: string; name: string } };

export interface VirtualPlan {
  actions: VirtualAction[];
  /** Virtual servers a pool names that exist but were not made by f5-sync: left alone. */
  foreign: string[];
}

/** "/Common/tcp" from "tcp" or a full path. */
function qualified(partition: string, name: string): string {
  return name.startsWith('/') ? name : `/${partition}/${name}`;
}

export function virtualName(pool: PoolConfig): string {
  return pool.virtual?.name ?? `${pool.name}_vs`;
}

function snatSetting(partition: string, snat: string): SnatSetting {
  if (snat === 'none' || snat === 'automap') return { type: snat };
  return { type: 'snat', pool: qualified(partition, snat) };
}

/** What the pool's `virtual` asks for, as the target reads it back (destination and names qualified). */
export function desiredVirtual(pool: PoolConfig, ownerMark: string): VirtualFields | undefined {
  if (!pool.virtual) return undefined;
  return {
    destination: qualified(pool.partition, pool.virtual.destination),
    pool: poolKey(pool),
    // Built-in profiles live in Common whichever partition the virtual server is in.
    profiles: [...new Set(pool.virtual.profiles.map((p) => (p.startsWith('/') ? p : `/Common/${p}`)))].sort(),
    sourceAddressTranslation: snatSetting(pool.partition, pool.virtual.snat),
    description: ownerDescription(ownerMark, pool.consulService),
  };
}

function sameSnat(a: SnatSetting, b: SnatSetting): boolean {
  return a.type === b.type && (a.type !== 'snat' || a.pool === (b as { pool: string }).pool);
}

/**
 * Every configured pool's virtual server against the live ones of the same partitions. A virtual server of ours whose
 * pool no longer names it (by this name) is removed; one the pool names but someone else made is left alone and
 * reported. Virtual servers of pools not in the config are never touched.
 */
export function planVirtualServers(pools: readonly PoolConfig[], live: readonly LiveVirtual[], ownerMark: string): VirtualPlan {
  const byPath = new Map(live.map((virtual) => [`/${virtual.partition}/${virtual.name}`, virtual]));
  const isOurs = (virtual: LiveVirtual) => parseOwnerMark(virtual.description, ownerMark) !== undefined;
  const actions: VirtualAction[] = [];
  const foreign: string[] = [];
  const wanted = new Set<string>();
  for (const pool of pools) {
    const want = desiredVirtual(pool, ownerMark);
    if (!want) continue;
    const ref = { partition: pool.partition, name: virtualName(pool) };
    const path = `/${ref.partition}/${ref.name}`;
    wanted.add(path);
    const have = byPath.get(path);
    if (!have) {
      actions.push({ kind: 'createVirtual', ref, fields: want });
      continue;
    }
    if (!isOurs(have)) {
      foreign.push(path);
      continue;
    }
    const changes: Partial<VirtualFields> = {};
    if (have.destination !== want.destination) changes.destination = want.destination;
    if (have.pool !== want.pool) changes.pool = want.pool;
    if ([...have.profiles].sort().join() !== want.profiles.join()) changes.profiles = want.profiles;
    if (!sameSnat(have.sourceAddressTranslation, want.sourceAddressTranslation)) changes.sourceAddressTranslation = want.sourceAddressTranslation;
    if (have.description !== want.description) changes.description = want.description;
    if (Object.keys(changes).length > 0) actions.push({ kind: 'updateVirtual', ref, changes });
  }
  const configured = new Set(pools.map(poolKey));
  for (const virtual of live) {
    const path = `/${virtual.partition}/${virtual.name}`;
    if (wanted.has(path) || !isOurs(virtual) || virtual.pool === undefined || !configured.has(virtual.pool)) continue;
    actions.push({ kind: 'removeVirtual', ref: { partition: virtual.partition, name: virtual.name } });
  }
  return { actions, foreign };
}
