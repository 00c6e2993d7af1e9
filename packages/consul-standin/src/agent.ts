// Wires the state of one agent together: index store, catalog, KV, sessions, check runner, reaper.

import { Catalog } from './catalog';
import { Federation } from './federation';
import { MemberView, memberView } from './member-view';
import { ChecksRunner } from './checks-runner';
import { KvStore } from './kv-store';
import { LocalStateFile } from './local-state-file';
import { ResolvedOptions, SESSION_TTL_MAX_MS } from './options';
import { Reaper } from './reaper';
import { Sessions } from './sessions';
import { StateStore } from './state-store';

export class Agent {
  readonly store = new StateStore();
  readonly catalog: Catalog;
  readonly kv: KvStore;
  readonly sessions: Sessions;
  readonly runner: ChecksRunner;
  readonly reaper: Reaper;
  /** The datacenters this agent's servers can reach (its own, plus federated ones). */
  readonly federation: Federation;
  /** What /v1/agent/members lists; a cluster replaces it with every member. */
  members: () => MemberView[] = () => [this.selfMember()];

  /** A server holds the state; a client agent keeps its own node's services and checks only. */
  constructor(readonly options: ResolvedOptions, readonly role: 'server' | 'client' = 'server') {
    this.federation = new Federation(options.datacenter);
    const address = options.advertiseAddress;
    this.catalog = new Catalog(
      this.store,
      {
        id: options.nodeId,
        node: options.node,
        address,
        datacenter: options.datacenter,
        taggedAddresses: { lan: address, lan_ipv4: address, wan: address, wan_ipv4: address },
        meta: { 'consul-network-segment': '' },
      },
      {
        non_voter: 'false',
        raft_version: '3',
        read_replica: 'false',
        serf_protocol_current: '2',
        serf_protocol_max: '5',
        serf_protocol_min: '1',
        version: options.version,
      },
      role === 'server',
    );
    this.sessions = new Sessions(this.store, this.catalog, {
      ttlMinMs: options.sessionTtlMinMs,
      ttlMaxMs: SESSION_TTL_MAX_MS,
      ttlMultiplier: options.sessionTtlMultiplier,
    });
    this.kv = new KvStore(this.store, (id) => this.sessions.exists(id));
    this.sessions.attachKv(this.kv);
    this.runner = new ChecksRunner(this.catalog, {
      minIntervalMs: options.minCheckIntervalMs,
      enableScriptChecks: options.enableScriptChecks,
    });
    this.reaper = new Reaper(this.catalog, options.reapIntervalMs, options.log);
    if (options.dataDir) {
      const file = new LocalStateFile(options.dataDir, this.catalog);
      const restored = file.restore();
      if (restored > 0) options.log({ level: 'info', msg: 'restored services from the data dir', services: restored, file: file.file });
      this.store.writeListeners.add(() => file.save());
    }
  }

  /** This agent as a Serf member (alive). */
  selfMember(): MemberView {
    const { options } = this;
    return memberView({
      name: options.node,
      address: options.advertiseAddress,
      datacenter: options.datacenter,
      id: options.nodeId,
      version: options.version,
      role: this.role,
      status: 'alive',
      acls: Boolean(options.managementToken),
    });
  }

  /** The address Consul reports for its RPC (leader and peers). */
  get serverAddress(): string {
    return `${this.options.advertiseAddress}:8300`;
  }

  stop(): void {
    this.reaper.stop();
    this.runner.stop();
    this.sessions.stop();
    this.store.hub.closeAll();
  }
}
