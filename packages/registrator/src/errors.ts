// The catalogue of every error code registrator throws or reports, each with its one-line meaning (README links here).
// Codes core throws below registrator (ERR_CONSUL_HTTP, _UNREACHABLE, _TIMEOUT, _PAYLOAD, _ABORTED from the Consul
// client, ERR_DOCKER_HOST, ERR_CONFIG for flags) are core's catalogue: CORE_ERROR_CODES in packages/core/src/error-codes.ts.
// The registry adapter translates core's Consul codes into the two ERR_REGISTRY_* codes, so the actor never sees them.

import { CodedError } from '@consul-sidecars/core';

export const ERROR_CODES = {
  // The registry adapter (act/registry-adapter.ts): every adapter rejects with one of these two.
  ERR_REGISTRY_UNREACHABLE: 'the registry did not answer (refused, reset, timed out): the write may not have happened; retried when it is reachable again',
  ERR_REGISTRY_REJECTED: 'the registry answered with an error (a rejected registration, an unreadable answer): retried per service with backoff',
  // Docker (observe/).
  ERR_DOCKER_LIST: 'listing the containers failed (the engine refused, reset or timed out): the full reconcile is retried with backoff',
  ERR_DOCKER_INSPECT: 'inspecting a container failed for another reason than "no such container"',
  ERR_DOCKER_PAYLOAD: 'the engine answered a list or inspect that is not one (not a list, no valid Id)',
  ERR_DOCKER_EVENTS: 'the Docker event stream could not be opened or was lost: it reconnects with backoff, and a full reconcile follows',
  // Runtime roles' upkeep (the reconciler): role keys of gone containers could not be read or deleted (the cause's code is counted).
  ERR_ROLE_KEYS: 'role keys were not maintained in a full reconcile: the reconcile is retried with backoff',
  // Runtime roles (act/role-store.ts, `registrator role ...`).
  ERR_UNKNOWN_SERVICE: 'no service instance with this ID on the local agent or in the catalog',
  ERR_INVALID_ROLE: 'a role that is not a valid tag (letters, digits, _ . -; at most 64)',
  ERR_TOO_MANY_INSTANCES: "a promotion of more instances than Consul's 64 operations per transaction",
  ERR_TXN_FAILED: 'Consul refused the role transaction (/v1/txn)',
  // Anything thrown without a code (a bug, or a library error no edge translated): the log line has the message.
  ERR_UNEXPECTED: 'a failure that carries no code: see the log line next to it',
} as const;

export type RegistratorErrorCode = keyof typeof ERROR_CODES;

/** A CodedError whose code is in the catalogue (the compiler refuses any other). */
export function registratorError(code: RegistratorErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }): CodedError {
  return new CodedError(code, message, details, options);
}

/** Whether `err` carries this catalogue code: callers test codes, never concrete error classes. */
export function hasErrorCode(err: unknown, code: RegistratorErrorCode): boolean {
  return err instanceof CodedError && err.code === code;
}

/** The `kind` of consul_sidecars_errors_total for a failure: its code (registrator's or core's), else ERR_UNEXPECTED. */
export function errorKind(err: unknown): string {
  return err instanceof CodedError ? err.code : 'ERR_UNEXPECTED';
}
