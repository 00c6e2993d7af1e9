// Pure: the passing instances of a service -> the members its pool should have, role tags turned into priority groups.

import { highestTagValue } from '@consul-sidecars/core';
import type { PoolConfig } from '../config';
import type { ServiceInstance } from '../observe/health-entries';
import { ipFamily, memberName } from '../target/member-names';

export interface DesiredMember {
  name: string;
  address: string;
  port: number;
  priorityGroup: number;
  ratio: number;
  /** Consul service IDs behind this member (two registrations of one address:port collapse into one member). */
  instances: string[];
}

/** What Consul says a pool should hold, or why we do not know. */
export type DesiredPool =
  | { status: 'ok'; members: DesiredMember[]; skipped: Array<{ instance: string; reason: string }> }
  | { status: 'unavailable'; reason: string };

export interface MemberMapping {
  roleTags: Record<string, number>;
  defaultPriority: number;
  ratioMetaKey: string;
}

/** The highest priority among the instance's role tags; `defaultPriority` when it has none. */
export function priorityOf(tags: readonly string[], mapping: Pick<MemberMapping, 'roleTags' | 'defaultPriority'>): number {
  return highestTagValue(tags, mapping.roleTags, mapping.defaultPriority);
}

/** Pure: passing instances -> the members one pool should have (sorted by name). */
export function desiredMembers(pool: Pick<PoolConfig, 'tag'>, instances: readonly ServiceInstance[], mapping: MemberMapping): Extract<DesiredPool, { status: 'ok' }> {
  const byName = new Map<string, DesiredMember>();
  const skipped: Array<{ instance: string; reason: string }> = [];
  for (const instance of instances) {
    if (pool.tag && !instance.tags.includes(pool.tag)) continue;
    if (ipFamily(instance.address) === 0) {
      skipped.push({ instance: instance.id, reason: `address "${instance.address}" is not an IP address` });
      continue;
    }
    if (instance.port < 1 || instance.port > 65535) {
      skipped.push({ instance: instance.id, reason: `port ${instance.port} is out of range` });
      continue;
    }
    const ratioText = instance.meta[mapping.ratioMetaKey];
    const ratio = ratioText !== undefined && /^\d+$/.test(ratioText) && Number(ratioText) >= 1 ? Number(ratioText) : 1;
    const name = memberName(instance.address, instance.port);
    const member: DesiredMember = { name, address: instance.address, port: instance.port, priorityGroup: priorityOf(instance.tags, mapping), ratio, instances: [instance.id] };
    const existing = byName.get(name);
    if (!existing) {
      byName.set(name, member);
    } else {
      // One address:port registered twice: one member, with the higher priority (and ratio) of the two.
      existing.instances.push(instance.id);
      existing.priorityGroup = Math.max(existing.priorityGroup, member.priorityGroup);
      existing.ratio = Math.max(existing.ratio, member.ratio);
    }
  }
  const members = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const m of members) m.instances.sort();
  return { status: 'ok', members, skipped };
}
