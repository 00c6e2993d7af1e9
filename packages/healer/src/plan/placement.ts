// Pure: where new instances of a service that runs on several hosts go. Only hosts whose Consul node is passing
// are targets (a host whose node is critical never is), and each new instance goes to the host with the fewest.

export interface Placement {
  host: string;
  /** The host's container count after the action (what compose scales that host to). */
  total: number;
  add: number;
}

/**
 * Spreads `add` new instances over the passing hosts by instance count (fewest first, ties by name, so the plan is
 * deterministic). `kept` counts the containers each host keeps; a passing host without any counts 0.
 * Returns undefined when no host is passing.
 */
export function spreadAcrossHosts(kept: Record<string, number>, passingHosts: readonly string[], add: number): Placement[] | undefined {
  const targets = [...new Set(passingHosts)].sort();
  if (targets.length === 0) return undefined;
  const count = new Map(targets.map((h) => [h, kept[h] ?? 0]));
  const added = new Map(targets.map((h) => [h, 0]));
  for (let i = 0; i < add; i++) {
    const host = targets.reduce((best, h) => (count.get(h)! < count.get(best)! ? h : best), targets[0]);
    count.set(host, count.get(host)! + 1);
    added.set(host, added.get(host)! + 1);
  }
  return targets.filter((h) => added.get(h)! > 0).map((h) => ({ host: h, total: count.get(h)!, add: added.get(h)! }));
}
