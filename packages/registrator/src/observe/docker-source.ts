// Observes the Docker engine: list + inspect, and an event stream that reconnects with backoff and replays with `since`.

import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { backoffDelay, errorMessage, sleep, type DockerConnection } from '@consul-sidecars/core';
import { registratorError } from '../errors';
import { parseContainerInspect, type ContainerInspect, type ContainerStatus } from './container-inspect';
import { connectEngine, type DockerEngine } from './docker-engine';
import { parseDockerEvent, sinceParameter, type DockerEvent } from './docker-events';
import { listFingerprint } from './list-fingerprint';

/** Engine API version: dockerd 20.10 speaks 1.41; pinning it keeps newer clients' defaults from being refused. */
export const DOCKER_API_VERSION = 'v1.41';

export interface ContainerSummary {
  id: string;
  name: string;
  status: ContainerStatus;
  labels: Record<string, string>;
  /** listFingerprint of the list entry: equal to the one of the last inspect's pass, that inspect still holds. Undefined: always inspect. */
  fingerprint?: string;
}

export interface ContainerSourceEvents {
  event: [event: DockerEvent];
  /** The stream is (re)established: a full reconcile must follow (events may have been missed). */
  connected: [reconnect: boolean];
  disconnected: [reason: string];
}

/** What the reconciler needs from Docker; tests substitute it. */
export interface ContainerSource extends EventEmitter<ContainerSourceEvents> {
  list(): Promise<ContainerSummary[]>;
  /** Undefined when the container does not exist (any more). */
  inspect(id: string): Promise<ContainerInspect | undefined>;
  start(): void;
  stop(): Promise<void>;
  readonly connected: boolean;
}

export interface DockerSourceOptions {
  connection: DockerConnection;
  logger: Logger;
  /** How often to ping the engine while the stream is up; a failed ping tears the stream down (silent stalls). */
  pingIntervalMs?: number;
  /** Timeout of list and inspect calls. */
  requestTimeoutMs?: number;
  reconnectBackoff?: { baseMs: number; maxMs: number };
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

export class DockerSource extends EventEmitter<ContainerSourceEvents> implements ContainerSource {
  readonly engine: DockerEngine;
  private readonly options: Required<Omit<DockerSourceOptions, 'connection'>>;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private stream?: Readable;
  private lastEventNano?: bigint;
  private isConnected = false;
  /** Events seen, for metrics and tests. */
  eventsSeen = 0;
  reconnects = 0;

  constructor(options: DockerSourceOptions) {
    super();
    this.options = { pingIntervalMs: 10_000, requestTimeoutMs: 10_000, reconnectBackoff: { baseMs: 200, maxMs: 5000 }, ...options };
    this.engine = connectEngine(options.connection, DOCKER_API_VERSION);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async list(): Promise<ContainerSummary[]> {
    let raw: unknown;
    try {
      raw = await this.engine.getJson('/containers/json', { all: true }, this.options.requestTimeoutMs);
    } catch (err) {
      throw registratorError('ERR_DOCKER_LIST', `list containers: ${errorMessage(err)}`, {}, { cause: err });
    }
    if (!Array.isArray(raw)) throw registratorError('ERR_DOCKER_PAYLOAD', 'GET /containers/json: the answer is not a list');
    return raw.map((c: { Id: string; Names?: string[]; State?: string; Labels?: Record<string, string> }) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      status: (c.State as ContainerStatus) ?? 'exited',
      labels: c.Labels ?? {},
      fingerprint: listFingerprint(c),
    }));
  }

  async inspect(id: string): Promise<ContainerInspect | undefined> {
    let raw: unknown;
    try {
      raw = await this.inspectRaw(id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw registratorError('ERR_DOCKER_INSPECT', `inspect ${id.slice(0, 12)}: ${errorMessage(err)}`, { containerId: id }, { cause: err });
    }
    const container = parseContainerInspect(raw);
    if (container.networkMode.startsWith('container:')) {
      const target = container.networkMode.slice('container:'.length);
      try {
        const other = parseContainerInspect(await this.inspectRaw(target));
        container.networkContainer = { ipAddress: other.ipAddress, networks: other.networks };
      } catch (err) {
        this.options.logger.warn({ container: container.name, networkContainer: target.slice(0, 12), err: errorMessage(err) }, 'cannot inspect the network container');
      }
    }
    return container;
  }

  private inspectRaw(id: string): Promise<unknown> {
    return this.engine.getJson(`/containers/${encodeURIComponent(id)}/json`, {}, this.options.requestTimeoutMs);
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.streamLoop(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort(new Error('docker source stopped'));
    this.stream?.destroy();
    await this.loop;
    this.loop = undefined;
    this.engine.close();
  }

  /** Cuts the current stream as if the engine had gone away (tests, and the ping watchdog). */
  dropStream(reason: string): void {
    this.stream?.destroy(new Error(reason));
  }

  private async streamLoop(signal: AbortSignal): Promise<void> {
    const { logger, reconnectBackoff } = this.options;
    let attempt = 0;
    let everConnected = false;
    // Replay from just before we started, so a container started while we list is not missed.
    const startedNano = BigInt(Date.now()) * 1_000_000n;
    while (!signal.aborted) {
      try {
        const since = sinceParameter(this.lastEventNano ?? startedNano);
        const stream = await this.engine.getStream('/events', { since, filters: { type: ['container', 'network'] } }, signal);
        if (signal.aborted) {
          stream.destroy();
          break;
        }
        this.stream = stream;
        this.isConnected = true;
        if (everConnected) this.reconnects++;
        logger.info({ since, reconnect: everConnected }, everConnected ? 'docker event stream reconnected' : 'docker event stream connected');
        this.emit('connected', everConnected);
        everConnected = true;
        attempt = 0;
        const reason = await this.consume(stream, signal);
        this.isConnected = false;
        this.stream = undefined;
        if (signal.aborted) break;
        logger.warn({ reason }, 'docker event stream lost; reconnecting');
        this.emit('disconnected', reason);
      } catch (err) {
        this.isConnected = false;
        if (signal.aborted) break;
        logger.warn({ err: errorMessage(err), attempt: attempt + 1 }, 'docker event stream unavailable; retrying');
        if (attempt === 0) this.emit('disconnected', errorMessage(err));
      }
      attempt++;
      try {
        await sleep(backoffDelay(attempt, { ...reconnectBackoff, jitter: 0.5 }), signal);
      } catch {
        break;
      }
    }
    this.isConnected = false;
  }

  /** Reads newline-delimited JSON until the stream ends; resolves with why it ended. */
  private consume(stream: Readable, signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve) => {
      let buffer = '';
      let done = false;
      const finish = (reason: string) => {
        if (done) return;
        done = true;
        clearInterval(watchdog);
        resolve(reason);
      };
      const watchdog = setInterval(() => {
        this.engine.ping(5000).catch((err: unknown) => {
          this.options.logger.warn({ err: errorMessage(err) }, 'docker ping failed; dropping the event stream');
          stream.destroy(new Error('ping failed'));
          finish(`ping failed: ${errorMessage(err)}`);
        });
      }, this.options.pingIntervalMs);
      watchdog.unref();
      stream.on('data', (chunk: Buffer | string) => {
        buffer += chunk.toString();
        let newline: number;
        while ((newline = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) this.handleLine(line);
        }
      });
      stream.on('end', () => finish('stream ended'));
      stream.on('close', () => finish(signal.aborted ? 'stopped' : 'stream closed'));
      stream.on('error', (err: Error) => finish(`stream error: ${err.message}`));
    });
  }

  private handleLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.options.logger.warn({ line: line.slice(0, 200) }, 'unparseable docker event; ignored');
      return;
    }
    const ts = (raw as { timeNano?: number }).timeNano;
    if (typeof ts === 'number') this.lastEventNano = BigInt(Math.trunc(ts));
    const event = parseDockerEvent(raw);
    if (!event) return;
    this.eventsSeen++;
    this.emit('event', event);
  }
}
