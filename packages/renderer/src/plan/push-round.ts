// The pure decisions of a no-reload push round: which pushes go before the batch's write, how the round after it
// prunes and retries, and what the template's report becomes from the push's outcome.

import type { TemplateStatus } from './template-step';

/** How long the push after a reload retries an endpoint that is not listening yet (its first reload creates it). */
export const PUSH_AFTER_RELOAD_RETRY_MS = 2000;

/**
 * Members first: a new upstream has its peers before the reload that makes its server block live, so it never
 * answers the 503 fallback. A template whose endpoint was never reached (the write may be the one that creates it)
 * pushes only after the reload.
 */
export function pushBeforeWrite(writing: boolean, reached: boolean): boolean {
  return !(writing && !reached);
}

/** Upstreams leave nginx only after the server blocks that used them are gone (the file went live, or none was written). */
export function pushAfterWrite(fileResult: string | undefined): { prune: boolean; retryForMs: number } {
  return { prune: fileResult === undefined || fileResult === 'ok', retryForMs: fileResult === 'ok' ? PUSH_AFTER_RELOAD_RETRY_MS : 0 };
}

export interface PushResultInput {
  ok: boolean;
  error?: string;
  /** Upstreams the guard held at their last good peers. */
  held: { detail: string }[];
  /** The file's result this round: undefined when no file was written, 'ok' when it went live. */
  fileResult?: string;
  /** Why the members were pushed (the step's push reason). */
  pushReason: string;
  /** The report's reason now (the write's, when the file went live this round). */
  currentReason?: string;
}

export type PushReport =
  | { kind: 'none' }
  | { kind: 'good'; reason: string }
  | { kind: 'failed' | 'held'; reason: string; detail?: string };

export function planPushReport(input: PushResultInput): PushReport {
  if (input.fileResult !== undefined && input.fileResult !== 'ok') return { kind: 'none' }; // the file's failure is the report
  if (!input.ok) return { kind: 'failed', reason: 'push-failed', detail: input.error };
  if (input.held.length > 0) return { kind: 'held', reason: 'empty-upstream', detail: input.held.map((h) => h.detail).join('; ') };
  return { kind: 'good', reason: input.fileResult === 'ok' ? (input.currentReason ?? input.pushReason) : input.pushReason };
}

/** A push that reaches nginx again (or a restart re-pushed) clears a push failure, and only a push failure. */
export function recoversOnPush(status: TemplateStatus, reason: string | undefined): boolean {
  return status === 'failed' && reason === 'push-failed';
}
