// The servers' view of the cluster's members: client agents join and stay alive by heartbeating;
// a member whose heartbeats stop for the failure-detection window is failed (its serfHealth turns
// critical, which invalidates sessions bound to it); a graceful leave removes its node from the
// catalog at once. This stands in for Serf's gossip and the leader's reconcile loop.

import { Agent } from './agent';
import { NodeState, SERF_ALIVE_OUTPUT, SERF_FAILED_OUTPUT } from './catalog';
import { NodeSync } from './catalog-write-endpoints';
import { internal } from './errors';
import { MemberStatus, MemberView, memberView } from './member-view';

/** What a client agent says about itself on each heartbeat. */
export interface Heartbeat {
  node: string;
  id: string;
  address: string;
  datacenter: string;
  version: string;
  /** Names the agent's local state; the server asks for a sync when it holds another one. */
  syncVersion: string;
}

export interface HeartbeatReply {
  NeedSync: boolean;
  HeartbeatIntervalMs: number;
  Members: MemberView[];
}

interface Member {
  name: string;
  id: string;
  address: string;
  version: string;
  status: MemberStatus;
  syncedVersion?: string;
  timer?: NodeJS.Timeout;
}

export interface ClusterTiming {
  /** How long heartbeats may stop before a member is failed. */
  failureDetectionMs: number;
  /** The heartbeat period the server asks of its agents. */
  heartbeatIntervalMs: number;
}

export class ClusterMembers {
  private readonly members = new Map<string, Member>();
  private stopped = false;

  constructor(private readonly agent: Agent, readonly timing: ClusterTiming) {
    agent.members = () => this.views();
  }

  /** Every member, the server first, then by name (as `consul members` sorts). */
  views(): MemberView[] {
    const { options } = this.agent;
    const others = [...this.members.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => memberView({
      name: m.name,
      address: m.address,
      datacenter: options.datacenter,
      id: m.id,
      version: m.version,
      role: 'client',
      status: m.status,
      acls: Boolean(options.managementToken),
    }));
    return [this.agent.selfMember(), ...others];
  }

  status(node: string): MemberStatus | undefined {
    return this.members.get(node.toLowerCase())?.status;
  }

  heartbeat(beat: Heartbeat): HeartbeatReply {
    const { options, catalog } = this.agent;
    if (beat.datacenter !== options.datacenter) {
      throw internal(`Member '${beat.node}' part of wrong datacenter '${beat.datacenter}'`);
    }
    if (beat.node.toLowerCase() === options.node.toLowerCase()) {
      throw internal(`Member '${beat.node}' has conflicting node name: it is the server's`);
    }
    const key = beat.node.toLowerCase();
    let member = this.members.get(key);
    if (!member) {
      member = { name: beat.node, id: beat.id, address: beat.address, version: beat.version, status: 'alive' };
      this.members.set(key, member);
      options.log({ level: 'info', msg: 'member joined', node: beat.node, address: beat.address });
    }
    if (member.status !== 'alive') options.log({ level: 'info', msg: 'member alive again', node: beat.node, was: member.status });
    Object.assign(member, { id: beat.id, address: beat.address, version: beat.version, status: 'alive' });
    const known = catalog.findNode(beat.node);
    // A node removed from the catalog (a leave, a force-leave, a deregistration) needs its state again.
    if (!known) member.syncedVersion = undefined;
    const state = catalog.upsertMemberNode({
      id: beat.id,
      node: beat.node,
      address: beat.address,
      datacenter: options.datacenter,
      taggedAddresses: { lan: beat.address, lan_ipv4: beat.address, wan: beat.address, wan_ipv4: beat.address },
      meta: { 'consul-network-segment': '' },
    });
    catalog.setSerfHealth(state, 'passing', SERF_ALIVE_OUTPUT);
    this.armDetector(member);
    return {
      NeedSync: member.syncedVersion !== beat.syncVersion,
      HeartbeatIntervalMs: this.timing.heartbeatIntervalMs,
      Members: this.views(),
    };
  }

  sync(update: NodeSync): void {
    const member = this.members.get(update.node.toLowerCase());
    const state = this.agent.catalog.findNode(update.node);
    if (!member || member.status !== 'alive' || !state || state.local) {
      throw internal(`Node '${update.node}' is not an alive member: heartbeat first`);
    }
    this.agent.catalog.syncNode(state, update.services, update.checks);
    member.syncedVersion = update.syncVersion;
  }

  /** A graceful leave: left at once, and the node leaves the catalog with its services and sessions. */
  leave(node: string): void {
    const member = this.members.get(node.toLowerCase());
    if (!member) throw internal(`agent: No node found with name '${node}'`);
    this.markLeft(member);
  }

  /** PUT /v1/agent/force-leave: a failed member becomes left; an alive one is untouched (it would refute). */
  forceLeave(node: string, prune: boolean): void {
    const member = this.members.get(node.toLowerCase());
    if (!member) throw internal(`agent: No node found with name '${node}'`);
    if (member.status === 'failed' || member.status === 'leaving') this.markLeft(member);
    if (prune && member.status === 'left') this.members.delete(node.toLowerCase());
  }

  stop(): void {
    this.stopped = true;
    for (const member of this.members.values()) if (member.timer) clearTimeout(member.timer);
  }

  private markLeft(member: Member): void {
    if (member.timer) clearTimeout(member.timer);
    member.timer = undefined;
    member.status = 'left';
    member.syncedVersion = undefined;
    this.agent.catalog.catalogDeregister(member.name);
    this.agent.options.log({ level: 'info', msg: 'member left', node: member.name });
  }

  private armDetector(member: Member): void {
    if (member.timer) clearTimeout(member.timer);
    if (this.stopped) return;
    member.timer = setTimeout(() => this.markFailed(member), this.timing.failureDetectionMs);
    member.timer.unref();
  }

  private markFailed(member: Member): void {
    member.timer = undefined;
    if (member.status !== 'alive') return;
    member.status = 'failed';
    const state: NodeState | undefined = this.agent.catalog.findNode(member.name);
    if (state && !state.local) this.agent.catalog.setSerfHealth(state, 'critical', SERF_FAILED_OUTPUT);
    this.agent.options.log({ level: 'warn', msg: 'member failed', node: member.name, afterMs: this.timing.failureDetectionMs });
  }
}
