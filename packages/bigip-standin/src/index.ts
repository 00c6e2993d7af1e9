// bigip-standin: an iControl REST BIG-IP (LTM pools, members, nodes, virtual servers, SNAT, partitions, stats, transactions) for tests and the demo.
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FaultSpec } from './faults';
import type { MonitorStatus } from './ltm-config';
import type { RequestCounters, RequestRecord } from './request-log';
import { createRequestHandler } from './server';
import { StandinCore, type StandinSnapshot, type TrafficView } from './standin-core';
import { createTlsMaterial } from './tls-certificate';

export interface BigipStandinOptions {
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. Default 0. */
  port?: number;
  user?: string;
  password?: string;
  /** HTTPS with a fresh self-signed CA, as BIG-IP serves; false for plain HTTP. Default true. */
  tls?: boolean;
  /** Write the CA certificate (PEM) here so clients can verify TLS. */
  caOut?: string;
  /** Lifetime of a login token. Default 1200 s, BIG-IP's. */
  tokenTimeoutSeconds?: number;
  /** How long an uncommitted transaction lives. Default 30 s, BIG-IP's. */
  transactionTimeoutSeconds?: number;
  /** Partitions (folders) that exist. Default ["Common"]. */
  partitions?: string[];
}

export interface BigipStandin {
  /** e.g. "https://127.0.0.1:41234". */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** PEM of the CA that signed the server certificate; undefined over plain HTTP. */
  readonly caPem: string | undefined;
  stop(): Promise<void>;
  /** Every /mgmt request so far: method, path, status, transId. */
  requestLog(): RequestRecord[];
  counters(): RequestCounters;
  resetRequestLog(): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  expireAllTokens(): void;
  /** Empty the box: config, tokens, transactions, faults and request log. */
  reset(): void;
  snapshot(): StandinSnapshot;
  /** Which members of a pool ("/Common/web" or "~Common~web") would get new connections now. */
  traffic(pool: string): TrafficView;
  /** Simulate a health monitor marking a member up or down (only matters when a monitor applies). */
  setMonitorStatus(pool: string, member: string, status: MonitorStatus): void;
  /**
   * Set statistics counters that …/stats then reports, e.g.
   * setStats('snat-translation', '/Common/10.2.0.1', { 'serverside.curConns': 60000 }).
   * `collection`: virtual, pool, node or snat-translation; unknown counter names throw.
   */
  setStats(collection: StatsCollection, object: string, counters: Record<string, number>): void;
}

export type StatsCollection = 'virtual' | 'pool' | 'node' | 'snat-translation';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  user: 'admin',
  password: 'admin',
  tls: true,
  tokenTimeoutSeconds: 1200,
  transactionTimeoutSeconds: 30,
  partitions: ['Common'],
} as const;

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new Error(`bigip-standin: ${name} must be a positive number of seconds, got ${value}`);
  return value;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startBigipStandin(options: BigipStandinOptions = {}): Promise<BigipStandin> {
  const settings = { ...DEFAULTS, ...options };
  const core = new StandinCore({
    credentials: { user: settings.user, password: settings.password },
    partitions: settings.partitions,
    tokenTimeoutSeconds: positive('tokenTimeoutSeconds', settings.tokenTimeoutSeconds),
    transactionTimeoutSeconds: positive('transactionTimeoutSeconds', settings.transactionTimeoutSeconds),
  });
  const handler = createRequestHandler(core);
  let caPem: string | undefined;
  let server: Server;
  if (settings.tls) {
    const material = createTlsMaterial([settings.host]);
    caPem = material.caPem;
    if (settings.caOut) await writeFile(settings.caOut, caPem, { mode: 0o644 });
    server = createHttpsServer({ key: material.keyPem, cert: material.certChainPem }, handler);
  } else {
    server = createHttpServer(handler);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;

  return {
    url: `${settings.tls ? 'https' : 'http'}://${urlHost(settings.host)}:${port}`,
    host: settings.host,
    port,
    caPem,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
    requestLog: () => core.log.entries(),
    counters: () => core.log.snapshot(),
    resetRequestLog: () => core.log.reset(),
    injectFault: (fault) => core.faults.add(fault),
    clearFaults: () => core.faults.clear(),
    expireAllTokens: () => core.tokens.expireAll(),
    reset: () => core.reset(),
    snapshot: () => core.snapshot(),
    traffic: (pool) => core.traffic(pool),
    setMonitorStatus: (pool, member, status) => core.setMonitorStatus(pool, member, status),
    setStats: (collection, object, counters) => core.setStats(collection, object, counters),
  };
}

export { decideTraffic, isAvailable, type TrafficDecision, type TrafficMember } from './traffic-view';
export { createTlsMaterial, type TlsMaterial } from './tls-certificate';
export type { FaultSpec } from './faults';
export type { RequestCounters, RequestRecord } from './request-log';
export type { StandinSnapshot, TrafficView } from './standin-core';
export type { MonitorStatus } from './ltm-config';
export { TMOS_VERSION } from './bigip-version';
export { STATS_KINDS, type StatEntries } from './stats';
