// Wires the state of one agent together: index store, catalog, KV, sessions, check runner, reaper.

import { Catalog } from './catalog';
import { ChecksRunner } from './checks-runner';
import { KvStore } from './kv-store';
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

  constructor(readonly options: ResolvedOptions) {
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
