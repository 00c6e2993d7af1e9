// The one Consul HTTP client of every daemon: typed reads, typed blocking reads, the agent, KV, sessions and txn,
// over one kept-alive transport. Errors are CodedErrors with a code from error-codes.ts and Consul's HTTP status.

import { blockingTimeoutMs, BlockingWatcher, type BlockingQuery, type BlockingWatcherOptions } from '../blocking-watcher';
import { consulSettingsFromEnv, type ConsulSettings } from '../consul-client';
import { parseDuration } from '../duration';
import { CodedError } from '../errors';
import { ERR_CONSUL_PAYLOAD } from '../error-codes';
import { AgentApi } from './agent-api';
import type { CatalogNode, CatalogService, CatalogServiceInstance } from './catalog';
import { ConsecutiveFailures } from './failure-tracker';
import type { HealthCheck, ServiceInstance } from './health';
import { KvApi } from './kv-api';
import { stringsAt } from './payload';
import * as reads from './reads';
import type { ConsulRead, HealthServiceQuery } from './reads';
import { parseLeader } from './session';
import { SessionApi } from './session-api';
import { ConsulTransport, notJsonError, replyIndex, replyKnownLeader, replyLastContact, type ConsulReply, type ConsulTransportOptions, type QueryValue } from './transport';

export interface ReadOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  dc?: string;
  /** `?stale` (any server answers) or `?consistent` (the leader confirms it leads). */
  consistency?: 'stale' | 'consistent';
}

export interface BlockingReadOptions extends ReadOptions {
  /** The index to block on; undefined is a plain read. 0 is sent as 1: never block on 0. */
  index?: number;
  /** Go duration for `wait=` (default "60s"). */
  wait?: string;
  /** Extra query parameters. */
  query?: Record<string, QueryValue>;
  /** 404 is an answer (`parse` gets null). */
  notFoundIsEmpty?: boolean;
}

export interface BlockingAnswer<T> {
  value: T;
  /** X-Consul-Index of the answer (0 when absent). */
  index: number;
  /** X-Consul-KnownLeader: false when the servers had no leader (the answer may be stale). */
  knownLeader: boolean;
  /** X-Consul-LastContact: ms since the answering server last heard from the leader. */
  lastContact: number;
}

export interface ConsulHttpClientOptions extends ConsulTransportOptions {
  /** Consecutive failures before `unavailable` turns true (default 3); ignored when `failures` is given. */
  unavailableAfter?: number;
}

export class ConsulHttpClient {
  readonly transport: ConsulTransport;
  readonly agent: AgentApi;
  readonly kv: KvApi;
  readonly session: SessionApi;
  /** Every request's outcome: `client.failures.unavailable` after N failures in a row. */
  readonly failures: ConsecutiveFailures;

  constructor(settings: ConsulSettings, options: ConsulHttpClientOptions = {}) {
    this.failures = options.failures ?? new ConsecutiveFailures({ threshold: options.unavailableAfter });
    this.transport = new ConsulTransport(settings, { ...options, failures: this.failures });
    this.agent = new AgentApi(this.transport);
    this.kv = new KvApi(this.transport);
    this.session = new SessionApi(this.transport);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** True once `unavailableAfter` requests in a row failed (no answer, or 5xx), until one succeeds. */
  get unavailable(): boolean {
    return this.failures.unavailable;
  }

  /**
   * GET `path` and parse the answer; with `index` a blocking read. Typed end to end: what `parse` returns is `value`.
   * A parse failure is ERR_CONSUL_PAYLOAD naming the endpoint and the field.
   */
  blockingGet<T>(path: string, parse: (body: unknown) => T, options: BlockingReadOptions = {}): Promise<BlockingAnswer<T>> {
    return this.get(path, { parse }, options);
  }

  /** A read value (reads.ts) as a plain or blocking read. */
  blocking<T>(read: ConsulRead<T>, options: BlockingReadOptions = {}): Promise<BlockingAnswer<T>> {
    return this.get(read.path, read, { ...options, query: { ...read.query, ...options.query }, notFoundIsEmpty: read.notFoundIsEmpty });
  }

  /** blockingGet with the read's parsers: from the answer's text when it has `parseText`, else from its JSON value. */
  private async get<T>(path: string, parsers: Pick<ConsulRead<T>, 'parse' | 'parseText'>, options: BlockingReadOptions): Promise<BlockingAnswer<T>> {
    const { index, signal, dc, notFoundIsEmpty } = options;
    const query: Record<string, QueryValue> = { ...options.query };
    if (options.consistency) query[options.consistency] = true;
    let timeoutMs = options.timeoutMs ?? 10_000;
    if (index !== undefined) {
      const wait = options.wait ?? '60s';
      query.index = Math.max(1, index);
      query.wait = wait;
      timeoutMs = options.timeoutMs ?? blockingTimeoutMs(parseDuration(wait, 'wait') / 1000);
    }
    const request = { query, signal, dc, timeoutMs, accept: notFoundIsEmpty ? [404] : [] };
    const { parse, parseText } = parsers;
    let text: string | null = null;
    let body: unknown = null;
    let reply: ConsulReply;
    if (parseText) ({ text, reply } = await this.transport.jsonText('GET', path, request));
    else ({ body, reply } = await this.transport.json('GET', path, request));
    let value: T;
    try {
      value = parseText && text !== null ? parseText(text) : parse(body);
    } catch (err) {
      // parseText's SyntaxError is transport.json's: the answer is not JSON.
      if (err instanceof SyntaxError && text !== null) throw notJsonError('GET', path, reply);
      if (err instanceof CodedError && err.code === ERR_CONSUL_PAYLOAD && err.details.endpoint === undefined) {
        throw new CodedError(ERR_CONSUL_PAYLOAD, err.message.replace('unexpected Consul answer: ', `unexpected Consul answer: GET /v1${path}: `), { ...err.details, endpoint: `GET /v1${path}` });
      }
      throw err;
    }
    return { value, index: replyIndex(reply), knownLeader: replyKnownLeader(reply), lastContact: replyLastContact(reply) };
  }

  async read<T>(read: ConsulRead<T>, options: ReadOptions = {}): Promise<T> {
    return (await this.blocking(read, options)).value;
  }

  /** The query a BlockingWatcher drives (index rules, backoff and change detection are the watcher's). */
  blockingQuery<T>(read: ConsulRead<T>, options: ReadOptions = {}): BlockingQuery<T> {
    return async ({ index, wait, timeoutMs, signal }) => {
      const answer = await this.blocking(read, { ...options, index, wait, timeoutMs, signal });
      return { data: answer.value, index: answer.index, knownLeader: answer.knownLeader, lastContact: answer.lastContact };
    };
  }

  /** A started-later watcher over a read: `client.watch(healthServiceRead('web'), { name: 'health:web' }).start()`. */
  watch<T>(read: ConsulRead<T>, options: BlockingWatcherOptions<T> & ReadOptions): BlockingWatcher<T> {
    const { dc, consistency } = options;
    return new BlockingWatcher(this.blockingQuery(read, { dc, consistency }), options);
  }

  healthService(service: string, query: HealthServiceQuery = {}, options: ReadOptions = {}): Promise<ServiceInstance[]> {
    return this.read(reads.healthServiceRead(service, query), options);
  }

  healthChecks(service: string, options: ReadOptions = {}): Promise<HealthCheck[]> {
    return this.read(reads.healthChecksRead(service), options);
  }

  healthState(state: 'passing' | 'warning' | 'critical' | 'any', options: ReadOptions = {}): Promise<HealthCheck[]> {
    return this.read(reads.healthStateRead(state), options);
  }

  healthNode(node: string, options: ReadOptions = {}): Promise<HealthCheck[]> {
    return this.read(reads.healthNodeRead(node), options);
  }

  catalogServices(options: ReadOptions = {}): Promise<CatalogService[]> {
    return this.read(reads.catalogServicesRead(), options);
  }

  catalogService(service: string, query: { tag?: string } = {}, options: ReadOptions = {}): Promise<CatalogServiceInstance[]> {
    return this.read(reads.catalogServiceRead(service, query), options);
  }

  catalogNodes(options: ReadOptions = {}): Promise<CatalogNode[]> {
    return this.read(reads.catalogNodesRead(), options);
  }

  /** Every datacenter the servers know, nearest first. */
  async datacenters(options: ReadOptions = {}): Promise<string[]> {
    const { body } = await this.transport.json('GET', '/catalog/datacenters', options);
    return stringsAt(body, '', 'a datacenter name');
  }

  /** The raft leader's address; "" when the cluster has none. */
  async leader(options: ReadOptions = {}): Promise<string> {
    const { body } = await this.transport.json('GET', '/status/leader', options);
    return parseLeader(body);
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.transport.close();
  }
}

/** A client from the standard CONSUL_HTTP_* environment (see consulSettingsFromEnv). */
export function consulHttpClientFromEnv(env: NodeJS.ProcessEnv = process.env, options: ConsulHttpClientOptions & { address?: string } = {}): ConsulHttpClient {
  return new ConsulHttpClient(consulSettingsFromEnv(env, options.address), options);
}
