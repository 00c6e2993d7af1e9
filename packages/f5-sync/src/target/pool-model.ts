// The pool vocabulary every pool target speaks: a pool's settings and members as read live, and the fields f5-sync writes.
// BIG-IP's LTM is the first target, so its words (priority groups, user-disabled, monitor rules) are the model's words.

/** A pool on the target: partition (an administrative folder; "Common" on a BIG-IP) and name. */
export interface PoolRef {
  partition: string;
  name: string;
}

/** Pool settings f5-sync manages. `monitor` undefined means "not managed". */
export interface PoolSettings {
  loadBalancingMode: string;
  minActiveMembers: number;
  monitor?: string;
}

/** The member fields f5-sync writes. priorityGroup is always sent, 0 included (terraform-provider-bigip#1120). */
export interface MemberFields {
  priorityGroup: number;
  ratio: number;
  /** Writable values only: user-enabled / user-disabled (drain). */
  session: 'user-enabled' | 'user-disabled';
  /** Writable values only: user-up / user-down (forced offline). */
  state: 'user-up' | 'user-down';
  description: string;
}

export interface LiveMember {
  name: string;
  address: string;
  port: number;
  priorityGroup: number;
  ratio: number;
  /** As read: monitor-enabled, user-enabled, user-disabled. */
  session: string;
  /** As read: up, down, unchecked, checking, user-down... */
  state: string;
  description?: string;
}

export interface LivePool extends PoolSettings {
  partition: string;
  name: string;
  description?: string;
  members: LiveMember[];
}

/** A member to create: its fields plus identity (name "addr:port", partition, address). */
export interface MemberCreateBody extends MemberFields {
  name: string;
  partition: string;
  address: string;
}

/** A pool to create, with its first members. */
export interface PoolCreateBody extends PoolSettings {
  name: string;
  partition: string;
  description: string;
  members: MemberCreateBody[];
}

const RULE_WORDS = new Set(['and', 'min', 'of', '{', '}']);

/** A monitor rule in one spelling for comparing: single-spaced, names qualified ("http" -> "/Common/http"), "" for none. */
export function normaliseMonitorRule(rule: string): string {
  const text = rule.trim();
  if (text === '' || text === 'none' || text === '/Common/none') return '';
  return text
    .replace(/([{}])/g, ' $1 ')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => (RULE_WORDS.has(word) || /^\d+$/.test(word) || word.startsWith('/') ? word : `/Common/${word}`))
    .join(' ');
}

/** Source address translation of a virtual server: none, automap, or a SNAT pool (full path). */
export type SnatSetting = { type: 'none' } | { type: 'automap' } | { type: 'snat'; pool: string };

/** The virtual server fields f5-sync writes (profiles and pools as full paths). */
export interface VirtualFields {
  destination: string;
  pool: string;
  profiles: string[];
  sourceAddressTranslation: SnatSetting;
  description: string;
}

/** A virtual server as read live. */
export interface LiveVirtual extends Omit<VirtualFields, 'pool' | 'description'> {
  partition: string;
  name: string;
  pool?: string;
  description?: string;
}
