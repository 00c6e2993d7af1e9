// Everything one stand-in instance holds (config, tokens, transactions, faults, request log) and its test hooks.
import { TokenStore, type Credentials } from './auth';
import { FaultInjector } from './faults';
import { emptyConfig, findPool, type LtmConfig, type MonitorStatus } from './ltm-config';
import { findMember, memberReadState, renderMember } from './members';
import { IcrError } from './errors';
import { DEFAULT_PARTITION, fullPathOf, parseFullPath, parseUrlSegment, urlSegmentOf, type ObjectRef } from './names';
import { statsKindNamed, statsRoute } from './stats-routes';
import { nodeReadState, renderNode } from './nodes';
import { renderPool } from './pools';
import { listObjects, renderObject } from './ltm-objects';
import { renderPartition } from './partitions';
import { SNAT_TRANSLATION, SNATPOOL } from './snat-pools';
import { StatsStore } from './stats';
import { VIRTUAL_SERVER } from './virtual-servers';
import { HTTP_MONITOR } from './http-monitors';
import { RequestLog } from './request-log';
import { decideTraffic, isAvailable, type TrafficMember } from './traffic-view';
import { renderTransaction, TransactionStore, type ConfigHolder } from './transactions';

export interface StandinSettings {
  credentials: Credentials;
  partitions: readonly string[];
  tokenTimeoutSeconds: number;
  transactionTimeoutSeconds: number;
}

export interface TrafficView {
  pool: string;
  minActiveMembers: number;
  activeGroups: number[];
  /** Members that would get new connections now. */
  receiving: string[];
  members: Array<{ name: string; priorityGroup: number; state: string; session: string; available: boolean; receiving: boolean }>;
}

export interface StandinSnapshot {
  generation: number;
  pools: Record<string, unknown>[];
  nodes: Record<string, unknown>[];
  /** Virtual servers with their profiles expanded. */
  virtuals: Record<string, unknown>[];
  snatpools: Record<string, unknown>[];
  snatTranslations: Record<string, unknown>[];
  /** User HTTP monitors (not the built-in ones). */
  httpMonitors: Record<string, unknown>[];
  partitions: Record<string, unknown>[];
  transactions: Record<string, unknown>[];
  liveTokens: number;
}

/** "/Common/web", "~Common~web" or "web" (Common). */
export function parseObjectPath(text: string): ObjectRef {
  return text.startsWith('~') ? parseUrlSegment(text) : parseFullPath(text, DEFAULT_PARTITION);
}

export class StandinCore implements ConfigHolder {
  config: LtmConfig;
  readonly tokens: TokenStore;
  readonly transactions: TransactionStore;
  readonly faults = new FaultInjector();
  readonly log = new RequestLog();
  /** Statistics counters set by tests; everything else reads idle. */
  readonly stats = new StatsStore();

  constructor(readonly settings: StandinSettings) {
    this.config = emptyConfig(settings.partitions);
    this.tokens = new TokenStore(settings.tokenTimeoutSeconds);
    this.transactions = new TransactionStore(settings.transactionTimeoutSeconds);
  }

  /** Back to an empty box: no pools or nodes, no tokens, transactions, faults or request history. */
  reset(): void {
    this.config = emptyConfig(this.settings.partitions);
    this.tokens.expireAll();
    this.transactions.clear();
    this.faults.clear();
    this.stats.clear();
    this.log.reset();
  }

  snapshot(): StandinSnapshot {
    return {
      generation: this.config.generation,
      pools: [...this.config.pools.values()].map((pool) => ({
        ...renderPool(pool),
        members: pool.members.map((member) => ({ ...renderMember(pool, member), monitorStatus: member.monitorStatus })),
      })),
      nodes: [...this.config.nodes.values()].map(renderNode),
      virtuals: listObjects(this.config, VIRTUAL_SERVER).map((record) => renderObject(this.config, VIRTUAL_SERVER, record, true)),
      snatpools: listObjects(this.config, SNATPOOL).map((record) => renderObject(this.config, SNATPOOL, record)),
      snatTranslations: listObjects(this.config, SNAT_TRANSLATION).map((record) => renderObject(this.config, SNAT_TRANSLATION, record)),
      httpMonitors: listObjects(this.config, HTTP_MONITOR)
        .filter((record) => !HTTP_MONITOR.builtins?.includes(record))
        .map((record) => renderObject(this.config, HTTP_MONITOR, record)),
      partitions: [...this.config.partitions.values()].map(renderPartition),
      transactions: this.transactions.list().map((transaction) => ({ ...renderTransaction(transaction), commands: transaction.commands.length })),
      liveTokens: this.tokens.liveCount,
    };
  }

  /** The traffic decision for a pool, with each member's node taken into account. */
  traffic(poolPath: string): TrafficView {
    const pool = findPool(this.config, parseObjectPath(poolPath));
    const members: TrafficMember[] = pool.members.map((member) => {
      const own = memberReadState(pool, member);
      const node = this.config.nodes.get(`/${member.partition}/${member.nodeName}`);
      const nodeState = node ? nodeReadState(node) : undefined;
      // A disabled or forced-down node takes its members with it.
      return {
        name: member.name,
        priorityGroup: member.attributes.priorityGroup,
        state: nodeState?.state === 'user-down' ? 'user-down' : own.state,
        session: nodeState?.session === 'user-disabled' ? 'user-disabled' : own.session,
      };
    });
    const decision = decideTraffic(pool.attributes.minActiveMembers, members);
    return {
      pool: fullPathOf(pool),
      minActiveMembers: pool.attributes.minActiveMembers,
      activeGroups: decision.activeGroups,
      receiving: decision.receiving,
      members: members.map((member) => ({ ...member, available: isAvailable(member), receiving: decision.receiving.includes(member.name) })),
    };
  }

  /**
   * Sets statistics counters of one object ("virtual", "/Tenant/vs" or "~Tenant~vs"); the object must exist.
   * Unknown counter names are refused, so a typo cannot pass silently.
   */
  setStats(collection: string, objectPath: string, entries: Record<string, unknown>): void {
    const kind = statsKindNamed(collection);
    if (!kind) throw new IcrError(404, `no statistics for ${JSON.stringify(collection)}; use virtual, pool, node or snat-translation`);
    const ref = parseObjectPath(objectPath);
    statsRoute(this.config, this.stats, 'GET', `${kind.mgmtPath}/${urlSegmentOf(ref)}/stats`);
    this.stats.set(kind, ref, entries);
  }

  /** The statistics of one object as its …/stats endpoint reports them. */
  statsOf(collection: string, objectPath: string): unknown {
    const kind = statsKindNamed(collection);
    if (!kind) throw new IcrError(404, `no statistics for ${JSON.stringify(collection)}; use virtual, pool, node or snat-translation`);
    return statsRoute(this.config, this.stats, 'GET', `${kind.mgmtPath}/${urlSegmentOf(parseObjectPath(objectPath))}/stats`)!.body;
  }

  /** Simulates the health monitor's verdict on a member (it matters only when a monitor applies). */
  setMonitorStatus(poolPath: string, memberName: string, status: MonitorStatus): void {
    const poolRef = parseObjectPath(poolPath);
    const memberRef = memberName.startsWith('~') ? parseUrlSegment(memberName) : { partition: poolRef.partition, name: memberName };
    findMember(this.config, poolRef, memberRef).member.monitorStatus = status;
  }
}
