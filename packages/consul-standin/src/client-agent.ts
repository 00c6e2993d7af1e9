// A client agent's link to its server: heartbeats (which keep its node alive and carry back the
// member list), anti-entropy sync of its node's services and checks (at once on every local
// change, in full on a period, and whenever the server holds another version), forwarding of
// every non-agent request, and the graceful leave.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Agent } from './agent';
import { normaliseBaseUrl } from './federation';
import { internal } from './errors';
import { FORWARDED_HEADER } from './connection-limit';
import { Forwarder } from './forwarder';
import { HeartbeatReply } from './cluster-members';
import { INTERNAL_PREFIX } from './cluster-endpoints';
import { MemberView } from './member-view';
import { Reply, RequestContext } from './router';
import { CheckRecord, ServiceRecord } from './catalog';
import { formatGoDuration } from './duration';

/** A service as anti-entropy registers it (structs.NodeService). */
function syncedService(service: ServiceRecord): Record<string, unknown> {
  return {
    ID: service.id,
    Service: service.name,
    Kind: service.kind,
    Tags: service.tags,
    Address: service.address,
    TaggedAddresses: service.taggedAddresses,
    Meta: service.meta,
    Port: service.port,
    Weights: service.weights,
    EnableTagOverride: service.enableTagOverride,
  };
}

/** A check as anti-entropy registers it (structs.HealthCheck): only the definition fields it has,
 * so the catalog shows what the agent shows (a TTL check has no Interval). */
function syncedCheck(check: CheckRecord, node: string): Record<string, unknown> {
  const d = check.definition;
  const definition: Record<string, unknown> = {};
  if (d.http !== undefined) Object.assign(definition, { HTTP: d.http, Header: d.header, Method: d.method, Body: d.body, TLSSkipVerify: d.tlsSkipVerify });
  if (d.tcp !== undefined) definition.TCP = d.tcp;
  if (d.ttlMs === undefined && d.intervalMs !== undefined) definition.Interval = formatGoDuration(d.intervalMs);
  if (d.timeoutMs !== undefined) definition.Timeout = formatGoDuration(d.timeoutMs);
  if (d.deregisterCriticalServiceAfterMs !== undefined) definition.DeregisterCriticalServiceAfter = formatGoDuration(d.deregisterCriticalServiceAfterMs);
  return {
    Node: node,
    CheckID: check.checkId,
    Name: check.name,
    Status: check.status,
    Notes: check.notes,
    Output: check.output,
    ServiceID: check.serviceId,
    Type: check.type,
    Definition: definition,
  };
}

export interface ClientLinkOptions {
  serverAddress: string;
  heartbeatIntervalMs?: number;
  antiEntropyIntervalMs: number;
}

const DEFAULT_HEARTBEAT_MS = 1000;
/** Heartbeats missed before this agent shows its peers as failed in /v1/agent/members. */
const MISSED_BEATS_FAILED = 5;

export class ClientLink {
  readonly serverUrl: string;
  private readonly bootId = randomUUID();
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private heartbeatMs: number;
  private heartbeatTimer?: NodeJS.Timeout;
  private antiEntropyTimer?: NodeJS.Timeout;
  private syncing = false;
  private syncAgain = false;
  private stopped = false;
  private reachable = false;
  private lastContact = 0;
  private members: MemberView[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private readonly onLocalWrite = (): void => this.scheduleSync();

  constructor(private readonly agent: Agent, private readonly forwarder: Forwarder, private readonly options: ClientLinkOptions) {
    this.serverUrl = normaliseBaseUrl(options.serverAddress);
    this.heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
    agent.members = () => this.memberViews();
    agent.store.writeListeners.add(this.onLocalWrite);
  }

  /** Starts heartbeating; resolves after the first attempt, whether the server answered or not. */
  async start(): Promise<void> {
    await (this.inFlight = this.heartbeat());
    this.antiEntropyTimer = setInterval(() => this.scheduleSync(true), this.options.antiEntropyIntervalMs);
    this.antiEntropyTimer.unref();
  }

  /** True once a heartbeat got through (and until one fails). */
  get joined(): boolean {
    return this.reachable;
  }

  /**
   * Forwards a request this agent does not answer itself to the server. Once gossip would have
   * marked the server failed (heartbeats missed for a while, or never answered), Consul's router
   * has no server left to try: "No known Consul servers"; before that the RPC's own error.
   */
  async forward(ctx: RequestContext): Promise<Reply> {
    if (!this.reachable && this.serverLost()) throw internal('No known Consul servers');
    return this.forwarder.forward(this.serverUrl, ctx, { body: this.withSessionNode(ctx) });
  }

  private serverLost(): boolean {
    return Date.now() - this.lastContact > this.heartbeatMs * MISSED_BEATS_FAILED;
  }

  /** PUT /v1/agent/leave: stop heartbeating and tell the server, which removes the node at once. */
  async leave(): Promise<void> {
    this.halt();
    await this.inFlight; // a heartbeat landing after the leave would join the node again
    try {
      await this.call('PUT', `${INTERNAL_PREFIX}/leave`, { Node: this.agent.options.node }, 5000);
    } finally {
      this.httpAgent.destroy();
    }
  }

  /** Stops heartbeats and syncs (a crash, as far as the server can tell). */
  stop(): void {
    this.halt();
    this.httpAgent.destroy();
  }

  private halt(): void {
    this.stopped = true;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.antiEntropyTimer) clearInterval(this.antiEntropyTimer);
    this.agent.store.writeListeners.delete(this.onLocalWrite);
  }

  private memberViews(): MemberView[] {
    const self = this.agent.selfMember();
    const stale = this.serverLost();
    if (this.members.length === 0) return [self];
    // A partitioned agent sees everyone else fail, as gossip would.
    return this.members.map((m) => (m.Name === self.Name ? self : stale && m.Status === 1 ? { ...m, Status: 4 } : m));
  }

  /** Consul's HTTP agent fills in a session's Node with its own before forwarding. */
  private withSessionNode(ctx: RequestContext): Buffer | undefined {
    if (ctx.path !== '/v1/session/create' || ctx.method !== 'PUT') return undefined;
    let body: unknown = {};
    if (ctx.body.length > 0) {
      try {
        body = JSON.parse(ctx.body.toString('utf8'));
      } catch {
        return undefined;
      }
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
    const fields = body as Record<string, unknown>;
    if (Object.keys(fields).some((k) => k.toLowerCase() === 'node' && fields[k])) return undefined;
    return Buffer.from(JSON.stringify({ ...fields, Node: this.agent.options.node }));
  }

  private syncVersion(): string {
    return `${this.bootId}:${this.agent.store.lastIndex}`;
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const { options } = this.agent;
    try {
      const reply = await this.call<HeartbeatReply>('PUT', `${INTERNAL_PREFIX}/heartbeat`, {
        Node: options.node,
        ID: options.nodeId,
        Address: options.advertiseAddress,
        Datacenter: options.datacenter,
        Version: options.version,
        SyncVersion: this.syncVersion(),
      }, Math.max(1000, this.heartbeatMs * 2));
      if (!this.reachable) options.log({ level: 'info', msg: 'joined server', server: this.serverUrl });
      this.reachable = true;
      this.lastContact = Date.now();
      this.members = reply.Members;
      if (this.options.heartbeatIntervalMs === undefined && reply.HeartbeatIntervalMs > 0) this.heartbeatMs = reply.HeartbeatIntervalMs;
      if (reply.NeedSync) this.scheduleSync(true);
    } catch (err) {
      if (this.reachable || this.lastContact === 0) {
        options.log({ level: 'warn', msg: 'server unreachable, retrying', server: this.serverUrl, error: (err as Error).message });
      }
      this.reachable = false;
      if (this.lastContact === 0) this.lastContact = -Infinity;
    }
    if (this.stopped) return;
    this.heartbeatTimer = setTimeout(() => {
      this.inFlight = this.heartbeat();
    }, this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Coalesces: one sync in flight, at most one more queued behind it. */
  private scheduleSync(force = false): void {
    if (this.stopped || (!force && !this.reachable)) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.sync().finally(() => {
      this.syncing = false;
      if (this.syncAgain) {
        this.syncAgain = false;
        this.scheduleSync(true);
      }
    });
  }

  private async sync(): Promise<void> {
    const { catalog, options } = this.agent;
    const version = this.syncVersion();
    const body = {
      Node: options.node,
      SyncVersion: version,
      Services: [...catalog.services.values()].filter((s) => s.agentLocal).map(syncedService),
      Checks: [...catalog.checks.values()].filter((c) => c.agentLocal).map((c) => syncedCheck(c, options.node)),
    };
    try {
      await this.call('PUT', `${INTERNAL_PREFIX}/sync`, body, 10_000);
    } catch (err) {
      // The next heartbeat's NeedSync brings it back.
      options.log({ level: 'warn', msg: 'anti-entropy sync failed', error: (err as Error).message });
    }
  }

  private call<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    const payload = Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Content-Length': String(payload.length), [FORWARDED_HEADER]: 'rpc' };
    const token = this.agent.options.managementToken;
    if (token) headers['X-Consul-Token'] = token;
    return new Promise<T>((resolve, reject) => {
      const request = http.request(`${this.serverUrl}${path}`, { method, headers, agent: this.httpAgent, timeout: timeoutMs });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) return reject(new Error(`${path}: ${response.statusCode} ${text}`));
          try {
            resolve(JSON.parse(text) as T);
          } catch (err) {
            reject(err);
          }
        });
      });
      request.end(payload);
    });
  }
}
