// The error every Consul call throws: a CodedError whose `code` says what failed (see error-codes.ts) and whose
// `status` is Consul's HTTP status when it answered. Callers read `code` and `status`, never the class.

import { CodedError } from '../errors';
import { ERR_CONSUL_HTTP, ERR_CONSUL_TIMEOUT, ERR_CONSUL_UNREACHABLE } from '../error-codes';

export class ConsulError extends CodedError {
  /** HTTP status Consul answered with; undefined when it did not answer. */
  readonly status?: number;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown; status?: number }) {
    super(code, message, options?.status === undefined ? details : { ...details, status: options.status }, options);
    this.name = 'ConsulError';
    this.status = options?.status;
  }
}

/** The HTTP status on an error from core's Consul client (or any error carrying a numeric `status`/`statusCode`). */
export function consulErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

/** The error code on a coded error, if any. */
export function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** True for an HTTP answer with this status (e.g. isConsulStatus(err, 404)). */
export function isConsulStatus(err: unknown, status: number): boolean {
  return errorCodeOf(err) === ERR_CONSUL_HTTP && consulErrorStatus(err) === status;
}

/** True when Consul gave no answer at all (refused, reset, timed out): the transient kind, worth a retry. */
export function isConsulUnreachable(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code === ERR_CONSUL_UNREACHABLE || code === ERR_CONSUL_TIMEOUT;
}
