// Every error code the healer throws, with what it means: callers branch on `code`, and the README links this list.

import { CodedError } from '@consul-sidecars/core';

export const HEALER_ERROR_CODES = {
  /** core's ConfigError: details name the field and the value. */
  ERR_CONFIG: 'a desired-state file, flag or cron schedule failed validation',
  ERR_SCALE: 'a scale action asked a backend for a negative or non-integer total',
  ERR_DOCKER: "the Docker engine did not answer a listing of a service's containers",
  ERR_DOCKER_REMOVE: 'the Docker engine refused to remove a failed container (other than "already gone")',
  ERR_DOCKER_HOST: 'a DOCKER_HOST value names a scheme the healer cannot connect with',
  ERR_CONSUL_PAYLOAD: 'a Consul answer was not the shape its API documents',
  ERR_STOPPED: 'a pass was requested after the healer began to stop',
  ERR_BODY_TOO_LARGE: 'a POST /trigger body over 4 MiB (answered 413)',
} as const;

export type HealerErrorCode = keyof typeof HEALER_ERROR_CODES;

/** A CodedError whose code is in the catalogue (the compiler refuses one that is not). */
export function healerError(code: Exclude<HealerErrorCode, 'ERR_CONFIG'>, message: string, details: Record<string, unknown> = {}, cause?: unknown): CodedError {
  return new CodedError(code, message, details, cause === undefined ? undefined : { cause });
}
