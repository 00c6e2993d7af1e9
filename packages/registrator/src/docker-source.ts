// Observes the Docker engine: list + inspect, and an event stream that reconnects with backoff and replays with `since`.

import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Logger } from 'pino';
import { backoffDelay, CodedError, errorMessage, sleep } from '@consul-sidecars/core';
import { parseContainerInspect, type ContainerInspect, type ContainerStatus } from './container-inspect';

/** Engine API version: dockerd 20.10 speaks 1.41; pinning it keeps newer clients' defaults from being refused. */
export const DOCKER_API_VERSION = 'v1.41';

/** Container actions that can change what a container publishes; anything else (exec_*, attach, ...) is ignored. */
const RELEVANT_ACTIONS = new Set(['start', 'restart', 'die', 'stop', 'kill', 'oom', 'pause', 'unpause', 'destroy', 'rename', 'health_status', 'update']);
const RELEVANT_NETWORK_ACTIONS = new Set(['connect', 'disconnect']);

export interface ContainerSummary {
  id: string;
  name: string;
  status: ContainerStatus;
  labels: Record<string, string>;
}

export interface DockerEvent {
  containerId: string;
  type: 'container' | 'network';
  action: string;
  /** Nanoseconds since the epoch (timeNano). */
  timeNano: bigint;
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

export interface DockerConnection {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** DOCKER_HOST (unix:// or tcp://, with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH); default /tmp/docker.sock as gliderlabs, else /var/run/docker.sock. */
export function dockerConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): DockerConnection {
  const host = env.DOCKER_HOST;
  if (!host) return { socketPath: existsSync('/tmp/docker.sock') ? '/tmp/docker.sock' : '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:\/\//, 'http://'));
  const tls = Boolean(env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') || url.protocol === 'https:';
  const connection: DockerConnection = { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http' };
  if (tls && env.DOCKER_CERT_PATH) {
    connection.ca = readFileSync(join(env.DOCKER_CERT_PATH, 'ca.pem'));
    connection.cert = readFileSync(join(env.DOCKER_CERT_PATH, 'cert.pem'));
    connection.key = readFileSync(join(env.DOCKER_CERT_PATH, 'key.pem'));
  }
  return connection;
}

/** `since` for the Engine API from a timeNano: seconds with a 9-digit fraction. */
export function sinceParameter(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n;
  const fraction = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}

/** One JSON message of GET /events -> the container it concerns, if registrator cares about it. */
export function parseDockerEvent(raw: unknown): DockerEvent | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  const actor = (m.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const type = m.Type;
  const action = String(m.Action ?? m.status ?? '');
  const timeNano = typeof m.timeNano === 'number' ? BigInt(Math.trunc(m.timeNano)) : BigInt(Math.trunc(Number(m.time ?? 0))) * 1_000_000_000n;
  if (type === 'container') {
    const base = action.split(':')[0]; // "health_status: healthy", "exec_start: sh"
    if (!RELEVANT_ACTIONS.has(base) || !actor.ID) return undefined;
    return { containerId: actor.ID, type, action: base, timeNano };
  }
  if (type === 'network' && RELEVANT_NETWORK_ACTIONS.has(action) && actor.Attributes?.container) {
    return { containerId: actor.Attributes.container, type, action, timeNano };
  }
  return undefined;
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
  readonly docker: Docker;
  private readonly options: Required<Omit<DockerSourceOptions, 'connection'>>;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private stream?: NodeJS.ReadableStream & { destroy?: (err?: Error) => void };
  private lastEventNano?: bigint;
  private isConnected = false;
  /** Events seen, for metrics and tests. */
  eventsSeen = 0;
  reconnects = 0;

  constructor(options: DockerSourceOptions) {
    super();
    this.options = { pingIntervalMs: 10_000, requestTimeoutMs: 10_000, reconnectBackoff: { baseMs: 200, maxMs: 5000 }, ...options };
    this.docker = new Docker({ ...options.connection, version: DOCKER_API_VERSION });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  private timeoutSignal(): AbortSignal {
    return AbortSignal.timeout(this.options.requestTimeoutMs);
  }

  async list(): Promise<ContainerSummary[]> {
    const raw = await this.docker.listContainers({ all: true, abortSignal: this.timeoutSignal() } as Docker.ContainerListOptions);
    return raw.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), status: (c.State as ContainerStatus) ?? 'exited', labels: c.Labels ?? {} }));
  }

  async inspect(id: string): Promise<ContainerInspect | undefined> {
    let raw: unknown;
    try {
      raw = await this.docker.getContainer(id).inspect({ abortSignal: this.timeoutSignal() } as Docker.ContainerInspectOptions);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new CodedError('ERR_DOCKER_INSPECT', `inspect ${id.slice(0, 12)}: ${errorMessage(err)}`, { containerId: id }, { cause: err });
    }
    const container = parseContainerInspect(raw);
    if (container.networkMode.startsWith('container:')) {
      const target = container.networkMode.slice('container:'.length);
      try {
        const other = parseContainerInspect(await this.docker.getContainer(target).inspect({ abortSignal: this.timeoutSignal() } as Docker.ContainerInspectOptions));
        container.networkContainer = { ipAddress: other.ipAddress, networks: other.networks };
      } catch (err) {
        this.options.logger.warn({ container: container.name, networkContainer: target.slice(0, 12), err: errorMessage(err) }, 'cannot inspect the network container');
      }
    }
    return container;
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.streamLoop(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort(new Error('docker source stopped'));
    this.stream?.destroy?.();
    await this.loop;
    this.loop = undefined;
  }

  /** Cuts the current stream as if the engine had gone away (tests, and the ping watchdog). */
  dropStream(reason: string): void {
    this.stream?.destroy?.(new Error(reason));
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
        const stream = (await this.docker.getEvents({
          since,
          filters: { type: ['container', 'network'] },
          abortSignal: signal,
        } as unknown as Parameters<Docker['getEvents']>[0])) as NodeJS.ReadableStream & { destroy?: (err?: Error) => void };
        if (signal.aborted) {
          stream.destroy?.();
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
  private consume(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
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
        (this.docker.ping as unknown as (opts: object) => Promise<unknown>).call(this.docker, { abortSignal: AbortSignal.timeout(5000) }).catch((err: unknown) => {
          this.options.logger.warn({ err: errorMessage(err) }, 'docker ping failed; dropping the event stream');
          (stream as { destroy?: (e?: Error) => void }).destroy?.(new Error('ping failed'));
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
