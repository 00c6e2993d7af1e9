// Pure: how full a SNAT pool is (connections / (addresses x ports per address)), whether it is near exhaustion,
// and what its member list should become when Consul KV holds the list. No I/O; table-tested.

/** One SNAT pool as observed: its translation addresses and the connections they carry now. */
export interface SnatPoolUsage {
  /** "/Common/snat_out" */
  pool: string;
  /** Translation addresses (their full paths' last segment: "10.2.0.1"). */
  addresses: string[];
  /** Current server-side connections summed over the pool's translation addresses. */
  connections: number;
}

export interface SnatAssessment extends SnatPoolUsage {
  /** connections / (addresses x portsPerAddress); 1 for a pool with no address (it cannot translate at all). */
  ratio: number;
  nearExhaustion: boolean;
}

export interface SnatThresholds {
  /** Source ports one translation address offers (BIG-IP uses 1024-65535: 64,512). */
  portsPerAddress: number;
  /** At or above this ratio the pool is near exhaustion. */
  nearExhaustionRatio: number;
}

export function assessSnatPool(usage: SnatPoolUsage, thresholds: SnatThresholds): SnatAssessment {
  const capacity = usage.addresses.length * thresholds.portsPerAddress;
  const ratio = capacity === 0 ? 1 : usage.connections / capacity;
  return { ...usage, ratio, nearExhaustion: ratio >= thresholds.nearExhaustionRatio };
}

/** What to log when a pool's state changed since the last look: `warn` on entering, `clear` on leaving. */
export function exhaustionTransition(previous: boolean | undefined, now: SnatAssessment): 'warn' | 'clear' | undefined {
  if (now.nearExhaustion && previous !== true) return 'warn';
  if (!now.nearExhaustion && previous === true) return 'clear';
  return undefined;
}

/** A translation member as BIG-IP lists it ("/Common/10.2.0.1") from an address or a full path. */
export function snatMemberPath(partition: string, member: string): string {
  return member.startsWith('/') ? member : `/${partition}/${member}`;
}

/**
 * The member list to PATCH so the SNAT pool holds exactly the wanted addresses, or `undefined` when it already does
 * (order does not matter: BIG-IP keeps the members as a sorted set). An empty wanted list is never applied: a SNAT
 * pool cannot be empty, and an empty KV value is more likely a mistake than an intent.
 */
export function planSnatMembers(partition: string, wanted: readonly string[], live: readonly string[]): string[] | undefined {
  const want = [...new Set(wanted.map((member) => snatMemberPath(partition, member)))].sort();
  if (want.length === 0) return undefined;
  const have = [...new Set(live.map((member) => snatMemberPath(partition, member)))].sort();
  return want.join() === have.join() ? undefined : want;
}
