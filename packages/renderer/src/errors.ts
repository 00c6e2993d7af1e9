// Every error code and report reason the renderer produces, each with its one-line meaning (README: "Errors").

import { CodedError } from '@consul-sidecars/core';

/** Codes of the CodedErrors the renderer throws or puts in a template's report. */
export const RENDERER_ERROR_CODES = {
  /** A config file, flag, template source or template option is invalid; the message names the field and value (core's ConfigError). */
  ERR_CONFIG: 'invalid configuration: the field and value are named',
  /** The template does not parse (nunjucks syntax); the renderer does not start, or SIGHUP keeps the previous version. */
  ERR_TEMPLATE_SYNTAX: 'the template does not parse',
  /** The template threw while rendering (a bad call, an unknown service() option, a filter on the wrong type). */
  ERR_RENDER: 'the template failed while rendering; the last good file stays',
  /** A service, upstream or datacenter name would not be safe in the rendered syntax (nginx). */
  ERR_UNSAFE_NAME: 'a name the template used is not safe in the rendered config',
  /** A value passed to nginxToken/nginxQuote cannot be written safely. */
  ERR_UNSAFE_VALUE: 'a value cannot be written safely into the rendered config',
  /** A template reads a datacenter Consul has no path to (500 "No path to datacenter"); the message names it. */
  ERR_UNKNOWN_DATACENTER: 'a datacenter the template reads is unknown to Consul',
} as const;

export type RendererErrorCode = keyof typeof RENDERER_ERROR_CODES;

/** The `reason` of a template's report (/health, --once, the `template` event), by status. */
export const TEMPLATE_REPORT_REASONS = {
  // ok
  'new-file': 'ok: the destination did not exist and was written',
  changed: 'ok: the output changed, was validated, swapped in and reloaded',
  unchanged: 'ok: the output matches the file on disk; nothing written, nothing reloaded',
  'drop-confirmed': 'ok: a sudden drop of instances persisted past guard.dropHold and was accepted',
  pushed: 'ok: no-reload mode, the upstream members reached nginx (the file did not change)',
  'dry-run': 'ok: --dry-run printed what it would write or push',
  // pending
  'waiting-for-dependencies': 'pending: some dependency has not answered yet, or key() names a key that does not exist',
  // held
  'empty-upstream': 'held: an upstream would have no server; the last good file (or peers) stays',
  'below-min-instances': 'held: fewer instances than guard.minInstances',
  'sudden-drop': 'held: instances dropped by more than guard.maxDropFraction; held until it persists guard.dropHold',
  // failed
  'known-bad': 'failed: this exact output already failed validation or reload; not retried until it changes',
  'validation-failed': 'failed: the validate command rejected the candidate; the last good file stays live',
  'reload-failed': 'failed: the reload command failed; the previous files were put back',
  'io-error': 'failed: writing, swapping or restoring a file failed',
  'push-failed': 'failed: nginx did not take the upstream members (unreachable, 4xx); retried by the poll',
  // error (a render error's reason is its message: "template <name>: ...", its code ERR_RENDER or another above)
  'unknown-datacenter': 'error: the template reads a datacenter Consul has no path to (code ERR_UNKNOWN_DATACENTER, naming it); the last good file stays',
  'consul-payload': 'error: a Consul answer the template reads is malformed (code ERR_CONSUL_PAYLOAD, core\'s strict reader); the last good file stays',
  'lua-check-failed': 'error: the shipped Lua does not load in nginx\'s LuaJIT; nothing written or pushed',
} as const;

export type TemplateReportReason = keyof typeof TEMPLATE_REPORT_REASONS;

/** A CodedError whose code is in the catalogue (the compiler checks it). */
export function rendererError(code: RendererErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }): CodedError {
  return new CodedError(code, message, details, options);
}
