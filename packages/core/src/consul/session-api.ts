// Sessions: create, renew, destroy, info, list (what a leader lock is built from).

import { parseSessionCreated, parseSessions, type SessionInfo } from './session';
import type { ConsulTransport } from './transport';

export interface SessionCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  dc?: string;
}

export interface SessionCreateOptions {
  Name?: string;
  /** e.g. "15s" (Consul accepts 10s..86400s). */
  TTL?: string;
  /** e.g. "15s": how long a released lock stays unacquirable. */
  LockDelay?: string;
  Behavior?: 'release' | 'delete';
  Node?: string;
  NodeChecks?: string[];
  ServiceChecks?: Array<{ ID: string; Namespace?: string }>;
}

export class SessionApi {
  constructor(private readonly http: ConsulTransport) {}

  /** Not idempotent (a resend would make a second session): never retried. */
  async create(definition: SessionCreateOptions, options: SessionCallOptions = {}): Promise<string> {
    const { body } = await this.http.json('PUT', '/session/create', { ...options, body: definition });
    return parseSessionCreated(body);
  }

  /** The renewed session, or undefined when Consul no longer has it (404). */
  async renew(id: string, options: SessionCallOptions = {}): Promise<SessionInfo | undefined> {
    const { body, reply } = await this.http.json('PUT', `/session/renew/${encodeURIComponent(id)}`, { ...options, accept: [404], idempotent: true });
    return reply.status === 404 ? undefined : parseSessions(body)[0];
  }

  async destroy(id: string, options: SessionCallOptions = {}): Promise<boolean> {
    const { body } = await this.http.json('PUT', `/session/destroy/${encodeURIComponent(id)}`, { ...options, idempotent: true });
    return body !== false;
  }

  async info(id: string, options: SessionCallOptions = {}): Promise<SessionInfo | undefined> {
    const { body } = await this.http.json('GET', `/session/info/${encodeURIComponent(id)}`, options);
    return parseSessions(body)[0];
  }

  async list(options: SessionCallOptions = {}): Promise<SessionInfo[]> {
    const { body } = await this.http.json('GET', '/session/list', options);
    return parseSessions(body);
  }
}
