// Which pool members receive NEW connections now: BIG-IP's priority group activation, as a pure function.

export interface TrafficMember {
  name: string;
  priorityGroup: number;
  /** Read value: up, down, unchecked, user-down, ... */
  state: string;
  /** Read value: monitor-enabled, user-enabled, user-disabled. */
  session: string;
}

export interface TrafficDecision {
  /** Members that would get new connections, in pool order. */
  receiving: string[];
  /** Priority groups traffic is spread over, highest first. */
  activeGroups: number[];
  available: string[];
}

/** Available: enabled session and not marked down. "unchecked" (no monitor) counts as available. */
export function isAvailable(member: TrafficMember): boolean {
  const enabled = member.session === 'user-enabled' || member.session === 'monitor-enabled';
  const up = member.state !== 'down' && member.state !== 'user-down';
  return enabled && up;
}

/**
 * With minActiveMembers 0 priority group activation is off: every available member receives.
 * Otherwise the highest group with an available member receives, and lower groups join, highest
 * first, until at least minActiveMembers available members are receiving (or groups run out).
 */
export function decideTraffic(minActiveMembers: number, members: readonly TrafficMember[]): TrafficDecision {
  const available = members.filter(isAvailable);
  const names = (list: readonly TrafficMember[]) => list.map((member) => member.name);
  if (minActiveMembers <= 0) {
    return { receiving: names(available), activeGroups: [...new Set(available.map((member) => member.priorityGroup))].sort((a, b) => b - a), available: names(available) };
  }
  const groups = [...new Set(available.map((member) => member.priorityGroup))].sort((a, b) => b - a);
  const activeGroups: number[] = [];
  let count = 0;
  for (const group of groups) {
    if (count >= minActiveMembers) break;
    activeGroups.push(group);
    count += available.filter((member) => member.priorityGroup === group).length;
  }
  const receiving = available.filter((member) => activeGroups.includes(member.priorityGroup));
  return { receiving: names(receiving), activeGroups, available: names(available) };
}
