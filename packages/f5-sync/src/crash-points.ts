// The catalogue of f5-sync's crash points: the act steps a test can kill it at (CONSUL_SIDECARS_CRASH_AT, core's crashPoint).
// Nothing is recorded to recover from: every pass plans from a fresh read of the BIG-IP and of Consul, and ownership
// lives in descriptions on the BIG-IP, so a restarted process (or a new leader) carries on from what is there.

export const CRASH_POINTS = {
  /** A transaction created and its first command enlisted; nothing applied (an open transaction is dropped by the BIG-IP). */
  inTransaction: 'f5-sync.in-transaction',
  /** Every command enlisted, the commit not sent. */
  beforeCommit: 'f5-sync.before-commit',
  /** The commit answered (applied), the process not told yet. */
  afterCommit: 'f5-sync.after-commit',
  /** One pool's changes applied, the next pool's not yet (per pool: `:N` for the N-th). */
  betweenPools: 'f5-sync.between-pools',
  /** A declared pool's virtual server removed on its way out, the pool itself not yet. */
  retireAfterVirtual: 'f5-sync.retire-after-virtual',
} as const;

export const CRASH_POINT_NAMES: readonly string[] = Object.values(CRASH_POINTS);
