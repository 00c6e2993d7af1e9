// Statistics (…/stats) in BIG-IP's nested `entries`/`nestedStats` shape, with counters tests can set.
import { selfLink } from './bigip-version';
import { IcrError } from './errors';
import type { NodeRecord, ObjectRecord, PoolRecord } from './ltm-config';
import { memberReadState } from './members';
import { fullPathOf, urlSegmentOf, type ObjectRef } from './names';
import { nodeReadState } from './nodes';
import { decideTraffic, isAvailable } from './traffic-view';

/** A stat is a number ({value}) or a text ({description}). */
export type StatValue = number | string;
export type StatEntries = Record<string, StatValue>;

const ZERO = (names: readonly string[]): StatEntries => Object.fromEntries(names.map((name) => [name, 0]));
const TRAFFIC = ['bitsIn', 'bitsOut', 'curConns', 'maxConns', 'pktsIn', 'pktsOut', 'totConns'];
const side = (prefix: string, names: readonly string[] = TRAFFIC) => ZERO(names.map((name) => `${prefix}.${name}`));
const QUEUE = ['ageEdm', 'ageEma', 'ageHead', 'ageMax', 'depth', 'serviced'];
const NO_SERVICE_CHECK = "The children pool member(s) either don't have service checking enabled, or service check results are not available yet";

/** Per stats kind: its URL, the kind strings, and the counters a BIG-IP reports (with their idle values). */
export interface StatsKind {
  /** "/mgmt/tm/ltm/virtual" */
  mgmtPath: string;
  /** "tm:ltm:virtual:virtual" -> "…stats", "…collectionstats" */
  kindPrefix: string;
  /** Counters that tests may set; derived texts are computed per object. */
  counters: StatEntries;
}

export const VIRTUAL_STATS: StatsKind = {
  mgmtPath: '/mgmt/tm/ltm/virtual',
  kindPrefix: 'tm:ltm:virtual:virtual',
  counters: {
    ...side('clientside', [...TRAFFIC, 'evictedConns', 'slowKilled']),
    ...side('ephemeral', [...TRAFFIC, 'evictedConns', 'slowKilled']),
    csMaxConnDur: 0,
    csMeanConnDur: 0,
    csMinConnDur: 0,
    fiveMinAvgUsageRatio: 0,
    fiveSecAvgUsageRatio: 0,
    oneMinAvgUsageRatio: 0,
    ...side('syncookie', ['accepts', 'hwAccepts', 'hwSyncookies', 'hwsyncookieInstance', 'rejects', 'swsyncookieInstance', 'syncacheCurr', 'syncacheOver', 'syncookies']),
    totRequests: 0,
  },
};

export const POOL_STATS: StatsKind = {
  mgmtPath: '/mgmt/tm/ltm/pool',
  kindPrefix: 'tm:ltm:pool:pool',
  counters: { ...side('connqAll', QUEUE), ...side('connq', QUEUE), curSessions: 0, ...side('serverside'), totRequests: 0 },
};

export const NODE_STATS: StatsKind = {
  mgmtPath: '/mgmt/tm/ltm/node',
  kindPrefix: 'tm:ltm:node:node',
  counters: { curSessions: 0, ...side('serverside'), totRequests: 0 },
};

/** (inferred) the counters of `tmsh show ltm snat-translation`, under the names the other stats use. */
export const SNAT_TRANSLATION_STATS: StatsKind = {
  mgmtPath: '/mgmt/tm/ltm/snat-translation',
  kindPrefix: 'tm:ltm:snat-translation:snat-translation',
  counters: { ...side('serverside') },
};

export const STATS_KINDS = [VIRTUAL_STATS, POOL_STATS, NODE_STATS, SNAT_TRANSLATION_STATS] as const;

/** Counters set by tests, per object ("/mgmt/tm/ltm/virtual /Common/vs"). Everything else reads idle. */
export class StatsStore {
  private readonly values = new Map<string, StatEntries>();

  set(kind: StatsKind, ref: ObjectRef, entries: Record<string, unknown>): void {
    const checked: StatEntries = {};
    for (const [name, value] of Object.entries(entries)) {
      if (!(name in kind.counters)) throw new IcrError(400, `unknown ${kind.mgmtPath} statistic ${JSON.stringify(name)}; known: ${Object.keys(kind.counters).join(', ')}`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new IcrError(400, `statistic ${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
      checked[name] = value;
    }
    const key = `${kind.mgmtPath} ${fullPathOf(ref)}`;
    this.values.set(key, { ...this.values.get(key), ...checked });
  }

  get(kind: StatsKind, ref: ObjectRef): StatEntries {
    return { ...kind.counters, ...this.values.get(`${kind.mgmtPath} ${fullPathOf(ref)}`) };
  }

  clear(): void {
    this.values.clear();
  }
}

function encode(entries: StatEntries): Record<string, unknown> {
  const sorted = Object.keys(entries).sort();
  return Object.fromEntries(sorted.map((name) => {
    const value = entries[name]!;
    return [name, typeof value === 'number' ? { value } : { description: value }];
  }));
}

export function poolStatEntries(store: StatsStore, pool: PoolRecord): StatEntries {
  const members = pool.members.map((member) => ({ name: member.name, priorityGroup: member.attributes.priorityGroup, ...memberReadState(pool, member) }));
  const decision = decideTraffic(pool.attributes.minActiveMembers, members);
  return {
    ...store.get(POOL_STATS, pool),
    activeMemberCnt: decision.receiving.length,
    availableMemberCnt: members.filter(isAvailable).length,
    memberCnt: members.length,
    minActiveMembers: pool.attributes.minActiveMembers,
    monitorRule: pool.attributes.monitor ?? 'none',
    tmName: fullPathOf(pool),
    'status.availabilityState': 'unknown',
    'status.enabledState': 'enabled',
    'status.statusReason': NO_SERVICE_CHECK,
  };
}

export function nodeStatEntries(store: StatsStore, node: NodeRecord): StatEntries {
  const read = nodeReadState(node);
  return {
    ...store.get(NODE_STATS, node),
    addr: node.address,
    monitorRule: node.attributes.monitor === 'default' ? 'none' : node.attributes.monitor,
    monitorStatus: read.state === 'user-down' ? 'down' : read.state,
    sessionStatus: read.session === 'user-disabled' ? 'user-disabled' : 'enabled',
    tmName: fullPathOf(node),
    'status.availabilityState': 'unknown',
    'status.enabledState': read.session === 'user-disabled' ? 'disabled' : 'enabled',
    'status.statusReason': 'Node address does not have service checking enabled',
  };
}

export function virtualStatEntries(store: StatsStore, virtual: ObjectRecord): StatEntries {
  const destination = String(virtual.attributes.destination).replace(/^\/[^/]+\//, '');
  return {
    ...store.get(VIRTUAL_STATS, virtual),
    actualPvaAccel: 'none',
    cmpEnableMode: 'all-cpus',
    cmpEnabled: 'enabled',
    destination,
    syncookieStatus: 'not-activated',
    tmName: fullPathOf(virtual),
    'status.availabilityState': 'unknown',
    'status.enabledState': virtual.attributes.enabled === false ? 'disabled' : 'enabled',
    'status.statusReason': NO_SERVICE_CHECK,
  };
}

export function snatTranslationStatEntries(store: StatsStore, translation: ObjectRecord): StatEntries {
  return { ...store.get(SNAT_TRANSLATION_STATS, translation), addr: String(translation.attributes.address), tmName: fullPathOf(translation) };
}

/**
 * `GET …/<object>/stats`. Since v12 the one entry is keyed by the object's URL with its name
 * repeated (".../virtual/~Common~vs/~Common~vs/stats"), which F5's parseStats turns into a "stats" key.
 */
export function renderObjectStats(kind: StatsKind, ref: ObjectRef, entries: StatEntries): Record<string, unknown> {
  const base = `${kind.mgmtPath}/${urlSegmentOf(ref)}`;
  return {
    kind: `${kind.kindPrefix}stats`,
    selfLink: selfLink(`${base}/stats`),
    entries: {
      [`https://localhost${base}/${urlSegmentOf(ref)}/stats`]: { nestedStats: { entries: encode(entries) } },
    },
  };
}

/** `GET …/stats` of a whole collection: one nested entry per object. */
export function renderCollectionStats(kind: StatsKind, objects: Array<{ ref: ObjectRef; entries: StatEntries }>): Record<string, unknown> {
  return {
    kind: `${kind.kindPrefix}collectionstats`,
    selfLink: selfLink(`${kind.mgmtPath}/stats`),
    entries: Object.fromEntries(objects.map(({ ref, entries }) => {
      const link = `${kind.mgmtPath}/${urlSegmentOf(ref)}/stats`;
      return [`https://localhost${link}`, { nestedStats: { kind: `${kind.kindPrefix}stats`, selfLink: selfLink(link), entries: encode(entries) } }];
    })),
  };
}
