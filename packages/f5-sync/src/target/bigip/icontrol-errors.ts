// iControl REST failures as coded errors: HTTP status and BIG-IP's mcpd code, classified once for every caller.

import { CodedError } from '@consul-sidecars/core';
import type { HttpMethod, IcontrolCall } from './icontrol-client';

export type CallOutcome = 'ok' | 'conflict' | 'not_found' | 'unauthorized' | 'busy' | 'server_error' | 'rejected' | 'network_error';

export interface CallRecord {
  method: HttpMethod;
  path: string;
  outcome: CallOutcome;
  status: number;
  ms: number;
  /** Enlisted in a transaction (queued, not executed). */
  transactional: boolean;
}

export const STATUS_CODES: Record<number, string> = {
  400: 'ERR_ICONTROL_REJECTED',
  401: 'ERR_ICONTROL_AUTH',
  404: 'ERR_ICONTROL_NOT_FOUND',
  409: 'ERR_ICONTROL_CONFLICT',
  503: 'ERR_ICONTROL_BUSY',
};

/** A failed iControl call: `status` (0 for network errors), BIG-IP's mcpd code ("01020066") and message. */
export class IcontrolError extends CodedError {
  readonly status: number;
  readonly bigipCode?: string;

  constructor(code: string, message: string, details: { status: number; method: string; path: string; bigipMessage?: string }) {
    super(code, message, details);
    this.name = 'IcontrolError';
    this.status = details.status;
    this.bigipCode = /([0-9a-f]{8}):\d+:/i.exec(details.bigipMessage ?? '')?.[1];
  }
}

/** "already exists" (409, or mcpd 01020066 inside a failed transaction). */
export function isConflict(err: unknown): boolean {
  return err instanceof IcontrolError && (err.status === 409 || err.bigipCode === '01020066');
}

/** "was not found" (404, or mcpd 01020036 inside a failed transaction). */
export function isNotFound(err: unknown): boolean {
  return err instanceof IcontrolError && (err.status === 404 || err.bigipCode === '01020036');
}

export function outcomeOf(status: number): CallOutcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 409) return 'conflict';
  if (status === 404) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 503) return 'busy';
  if (status >= 500) return 'server_error';
  if (status === 0) return 'network_error';
  return 'rejected';
}

export function isRetryable(err: unknown): boolean {
  if (!(err instanceof IcontrolError)) return false;
  if (err.code === 'ERR_ICONTROL_TLS') return false;
  return err.status === 0 || err.status === 503 || err.status === 500 || err.status === 502 || err.status === 504 || err.code === 'ERR_ICONTROL_BUSY';
}

export const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL/i;

/** The path as logs and metrics may show it: a token in the URL (PATCH/DELETE of a token) is masked. */
export function printablePath(path: string): string {
  return path.replace(/(\/mgmt\/shared\/authz\/tokens\/)[^/?]+/, '$1[redacted]');
}

/** The coded error for a non-2xx answer, carrying BIG-IP's own message (and with it the mcpd code). */
export function icontrolErrorFrom(call: Pick<IcontrolCall, 'method' | 'path'>, status: number, data: unknown): IcontrolError {
  const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const bigipMessage = typeof body.message === 'string' ? body.message : typeof data === 'string' ? data.slice(0, 300) : '';
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'ERR_ICONTROL_SERVER' : 'ERR_ICONTROL_REJECTED');
  return new IcontrolError(code, `${call.method} ${call.path}: ${status}${bigipMessage ? ` ${bigipMessage}` : ''}`, { status, method: call.method, path: call.path, bigipMessage });
}

/**
 * A request that failed because the kept-alive socket it reused had been closed by the server (ECONNRESET, EPIPE,
 * "socket hang up" on a reused socket): Node's documented case for sending the request again on a new connection.
 */
export function isStaleSocketReset(err: unknown): boolean {
  const { code, message, request } = (err ?? {}) as { code?: string; message?: string; request?: { reusedSocket?: boolean } };
  return request?.reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(message ?? ''));
}
