// The pure decision for one template in one pass: wait for data, report an error, hold the last good file, skip,
// or write (and/or push its upstreams); and what the template remembers afterwards (the drop being held, the
// output known to be bad). No I/O: the runner gathers the inputs, acts on the step and records the memory.

import { ERR_CONSUL_PAYLOAD, errorCodeOf, errorMessage } from '@consul-sidecars/core';
import { ERR_UNKNOWN_DATACENTER } from '../observe/unknown-datacenter';
import type { GuardConfig } from '../config';
import { instanceGuard, planRender, type RenderPlan } from './render-plan';

export type TemplateStatus = 'pending' | 'ok' | 'held' | 'failed' | 'error';

/** What a template carries from one pass to the next. */
export interface TemplateMemory {
  status: TemplateStatus;
  /** A render went live or matched the file on disk: quiescence applies from now on. */
  firstDone: boolean;
  lastGoodInstances?: number;
  /** The last output that failed validation or reload. */
  knownBad?: string;
  /** When the sudden drop being held was first seen. */
  dropSeenSince?: number;
  /** --dry-run: the last output printed (what "on disk" means when nothing is written). */
  lastPrinted?: string;
}

/** No-reload mode: the upstream members go to nginx; `fileResult` set when the file itself will not go live. */
export interface PushIntent {
  reason: string;
  fileResult?: string;
}

export type TemplateStep =
  /** Some dependency has not answered: nothing is written; `report` when the template is not already live. */
  | { kind: 'pending'; missing: string[]; report: boolean }
  /**
   * The template cannot be rendered (`render`, `config`), its Lua does not load (`lua`), or a dependency's answer
   * is malformed (`consul`, with core's code): the live file stays.
   */
  | { kind: 'error'; cause: 'render' | 'config' | 'lua' | 'consul'; reason: string; detail?: string; code?: string }
  /** The guard holds the last good file; `recheckAfterMs` when a sudden drop starts being held. */
  | { kind: 'hold'; plan: RenderPlan; dropSeenSince?: number; recheckAfterMs?: number }
  /** Nothing to write: the file is `good` (unchanged), `failed` (known bad), or `none` (the push will report). */
  | { kind: 'skip'; plan: RenderPlan; dropSeenSince?: number; outcome: 'good' | 'failed' | 'none'; push?: PushIntent }
  | { kind: 'write'; plan: RenderPlan; dropSeenSince?: number; push?: PushIntent };

/** A dependency whose last answer could not be read. */
export interface DependencyFailure {
  key: string;
  code: string;
  message: string;
}

/** Errors that say the data is wrong (not that Consul is away): they are the template's error until it answers well. */
const DATA_ERROR_CODES: ReadonlySet<string> = new Set([ERR_CONSUL_PAYLOAD, ERR_UNKNOWN_DATACENTER]);

export function isDataError(code: string | undefined): code is string {
  return code !== undefined && DATA_ERROR_CODES.has(code);
}

/** The failures (a watcher's last error per dependency) that are the template's error. */
export function dataFailures(failures: readonly { key: string; err: unknown }[]): DependencyFailure[] {
  return failures.flatMap(({ key, err }) => {
    const code = errorCodeOf(err);
    return isDataError(code) ? [{ key, code, message: errorMessage(err) }] : [];
  });
}

export interface RenderedInput {
  /** The template's name, for error messages. */
  name: string;
  /** Dependencies the template used whose last answer failed with a data error (isDataError). */
  failing?: DependencyFailure[];
  /** Dependencies that have not answered, and keys that do not exist yet (consul-template blocks on both). */
  missing: string[];
  /** The render's error message, if it threw. */
  error?: string;
  /** The template called pushUpstream(). */
  pushesUpstreams: boolean;
  /** The template has an upstreamPush config (no-reload mode). */
  hasPusher: boolean;
  memory: TemplateMemory;
}

/** The steps decided from the render alone, before the Lua check and the file are read; undefined to go on. */
export function planRendered(input: RenderedInput): TemplateStep | undefined {
  const { memory } = input;
  // A malformed answer or an unknown datacenter: report it (Consul's last good data, and so the last good file, stay).
  const failing = input.failing ?? [];
  if (failing.length > 0) {
    const reason = failing[0].code === ERR_UNKNOWN_DATACENTER ? 'unknown-datacenter' : 'consul-payload';
    return { kind: 'error', cause: 'consul', reason, code: failing[0].code, detail: failing.map((f) => `${f.key}: ${f.message}`).join('; ') };
  }
  // Data still missing: an error now is most likely the template meeting the empty placeholder values.
  if (input.missing.length > 0) return { kind: 'pending', missing: input.missing, report: memory.status !== 'ok' || !memory.firstDone };
  if (input.error !== undefined) return { kind: 'error', cause: 'render', reason: input.error };
  if (input.pushesUpstreams && !input.hasPusher) {
    return { kind: 'error', cause: 'config', reason: `template ${input.name}: pushUpstream() needs "upstreamPush": {"url": ...} in this template's config` };
  }
  return undefined;
}

export interface TemplatePlanInput {
  output: string;
  instances: number;
  usesServices: boolean;
  hasPusher: boolean;
  /** The Lua check's error; '' or undefined when it passed or does not apply. */
  luaError?: string;
  /** The destination's bytes now; null when there is no file. */
  onDisk: string | null;
  dryRun: boolean;
  memory: TemplateMemory;
  now: number;
  guard: GuardConfig;
}

/** The step for a render that has all its data and no error. */
export function planTemplate(input: TemplatePlanInput): TemplateStep {
  const { memory, now, guard } = input;
  if (input.luaError) return { kind: 'error', cause: 'lua', reason: 'lua-check-failed', detail: input.luaError };

  // No-reload mode: instance changes may leave the file as it is, so the instance guard looks at the push too.
  const pushGuard = input.hasPusher
    ? instanceGuard({ instances: input.instances, usesServices: input.usesServices, lastGoodInstances: memory.lastGoodInstances, dropSeenSince: memory.dropSeenSince, now, guard })
    : undefined;
  const plan = pushGuard?.action === 'hold' ? pushGuard : planRender({
    rendered: input.output,
    onDisk: input.dryRun ? (memory.lastPrinted ?? input.onDisk) : input.onDisk,
    instances: input.instances,
    usesServices: input.usesServices,
    lastGoodInstances: memory.lastGoodInstances,
    knownBad: memory.knownBad,
    dropSeenSince: memory.dropSeenSince,
    now,
    guard,
  });

  if (plan.action === 'hold') {
    if (plan.reason !== 'sudden-drop') return { kind: 'hold', plan, dropSeenSince: undefined };
    // The drop is held until it persists: remember when it was first seen, and look again once it may have.
    if (memory.dropSeenSince !== undefined) return { kind: 'hold', plan, dropSeenSince: memory.dropSeenSince };
    return { kind: 'hold', plan, dropSeenSince: now, recheckAfterMs: guard.dropHoldMs + 10 };
  }
  const confirmed = plan.reason === 'drop-confirmed' || pushGuard?.reason === 'drop-confirmed';
  const dropSeenSince = confirmed ? memory.dropSeenSince : undefined;
  const push: PushIntent | undefined = input.hasPusher ? { reason: pushGuard?.reason ?? 'pushed' } : undefined;

  if (plan.action === 'skip') {
    const unchanged = plan.reason === 'unchanged';
    // The file stays as it is (or is known bad): the members still go to nginx, and the push reports.
    if (push) return unchanged ? { kind: 'skip', plan, dropSeenSince, outcome: 'none', push } : { kind: 'skip', plan, dropSeenSince, outcome: 'failed', push: { ...push, fileResult: plan.reason } };
    return { kind: 'skip', plan, dropSeenSince, outcome: unchanged ? 'good' : 'failed' };
  }
  return { kind: 'write', plan, dropSeenSince, push };
}

export type ApplyVerdict = { live: true; reason: string } | { live: false; reason?: string; knownBad: string };

/** After the batch: a template that went live is good; one that did not keeps its last good file, and this output is known bad. */
export function planApplied(result: string | undefined, plan: RenderPlan, output: string): ApplyVerdict {
  return result === 'ok' ? { live: true, reason: plan.reason } : { live: false, reason: result, knownBad: output };
}
