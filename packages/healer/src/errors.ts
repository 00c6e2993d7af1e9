// Every error code a healer error can carry, with what it means: callers branch on `code`, and the README links this list.

import { CORE_ERROR_CODES, CodedError, type CoreErrorCode } from '@consul-sidecars/core';

/** Thrown by the healer itself. */
export const HEALER_ERROR_CODES = {
  ERR_SCALE: 'a scale action asked a backend for a negative or non-integer total',
  ERR_DOCKER: "the Docker engine did not answer a listing of a service's containers",
  ERR_DOCKER_REMOVE: 'the Docker engine refused to remove a failed container (other than "already gone")',
  ERR_SWARM_UNAVAILABLE: 'no swarm manager with quorum answered (every manager named refused, is not a manager, or has no raft leader)',
  ERR_SWARM_SERVICE: 'the swarm service a desired service names does not exist',
  ERR_BODY_TOO_LARGE: 'a POST /trigger body over 4 MiB (answered 413)',
  ERR_SCALE_FAILED: "a backend's scale call failed (compose exited non-zero or timed out, a swarm update was refused); its failure name is healer_actions_total's result",
  ERR_UNEXPECTED: 'an error without a code of this catalogue (a library error or a bug): counted under this kind, logged with its message',
} as const;

export type HealerErrorCode = keyof typeof HEALER_ERROR_CODES;

/** The whole catalogue: the healer's own codes and those core throws on its behalf (its Consul client and reader,
 * the DOCKER_HOST parser, config validation, the pass runner), each with its one-line meaning. */
export const ERROR_CODES = {
  ...HEALER_ERROR_CODES,
  ERR_CONFIG: CORE_ERROR_CODES.ERR_CONFIG,
  ERR_CONSUL_PAYLOAD: CORE_ERROR_CODES.ERR_CONSUL_PAYLOAD,
  ERR_CONSUL_HTTP: CORE_ERROR_CODES.ERR_CONSUL_HTTP,
  ERR_CONSUL_UNREACHABLE: CORE_ERROR_CODES.ERR_CONSUL_UNREACHABLE,
  ERR_CONSUL_TIMEOUT: CORE_ERROR_CODES.ERR_CONSUL_TIMEOUT,
  ERR_DOCKER_HOST: CORE_ERROR_CODES.ERR_DOCKER_HOST,
  ERR_STOPPED: CORE_ERROR_CODES.ERR_STOPPED,
} as const satisfies Partial<Record<CoreErrorCode | HealerErrorCode, string>>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A CodedError whose code is the healer's own (the compiler refuses one that is not in the catalogue). */
export function healerError(code: HealerErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown): CodedError {
  return new CodedError(code, message, details, cause === undefined ? undefined : { cause });
}
