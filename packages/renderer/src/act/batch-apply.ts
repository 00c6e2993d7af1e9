// Acts on one group's planned writes: candidates, validation, swap, reload; and on any failure puts every previous
// file back so the last good config stays live. A broken render is never in place when this renderer reloads.
//
// Validation, per template:
// - a validate command with `{{candidate}}` runs against the candidate's path; the live file is not touched;
// - an `nginx -t` without it runs on a throwaway main config that includes the candidates where the live config
//   includes the destinations (nginx-throwaway.ts): nothing live is touched either;
// - any other validate command without it (it reads the live path) runs with all of the batch's candidates swapped
//   in, under a journal, and they are swapped back out if it fails. The runner applies one batch at a time, so its
//   own reloads never see a swapped-in candidate; the window where an outside reload could is the command's runtime.
//
// Crash consistency: before a file goes live its journal says so (journal.ts); the journal goes once nginx has been
// reloaded (or the file put back), and a renderer killed in between finishes or undoes it on start
// (journal-recovery.ts). A shutdown during a slow reload kills the reload's process group (after a grace period
// that fits in the 5 s stop) and keeps the journal, so the next start reloads.

import { crashPoint, errorMessage, type Logger } from '@consul-sidecars/core';
import { commandText, describeFailure, hasPlaceholder, runCommand, type CommandOptions, type CommandResult } from './commands';
import type { CommandSpec, TemplateConfig } from '../config';
import { CRASH_POINTS } from '../crash-points';
import { clearJournal, clearJournalSoon, writeJournal } from './journal';
import { mainConfigOf, parseNginxTest, writeThrowaway } from './nginx-throwaway';
import {
  discardCandidate,
  installCandidate,
  restoreFileState,
  writeBackup,
  writeCandidate,
  type Candidate,
  type FileOps,
  type FileState,
  type InstallMethod,
} from './file-swap';

export interface BatchItem {
  template: TemplateConfig;
  output: string;
  /** The destination as it was when the render was planned. */
  previous: FileState;
}

export type BatchResult = 'ok' | 'validation-failed' | 'reload-failed' | 'io-error';

export interface CommandRun {
  kind: 'validate' | 'reload';
  command: string;
  result: CommandResult;
}

export interface BatchOutcome {
  /** 'ok' only when every item went live; otherwise the first failure's kind. */
  result: BatchResult;
  /** Per destination: what happened to it. */
  results: Record<string, BatchResult>;
  written: { destination: string; method: InstallMethod }[];
  commands: CommandRun[];
  /** Why it failed: the command's own output (nginx's message) or the I/O error. */
  error?: string;
  /** Per failed destination, its error. */
  errors: Record<string, string>;
}

export interface ApplyOptions {
  logger: Logger;
  fileOps?: FileOps;
  run?: (spec: CommandSpec, options: CommandOptions) => Promise<CommandResult>;
  /** The renderer is stopping: a command still running after `stopGraceMs` has its process group killed and reaped. */
  signal?: AbortSignal;
  stopGraceMs?: number;
}

interface PlannedCommand {
  spec: CommandSpec;
  placeholders: Record<string, string>;
  timeoutMs: number;
  text: string;
}

/** Commands with the same text after substitution run once per batch (consul-template #1448). */
function distinct(commands: PlannedCommand[]): PlannedCommand[] {
  const seen = new Map<string, PlannedCommand>();
  for (const c of commands) if (!seen.has(c.text)) seen.set(c.text, c);
  return [...seen.values()];
}

function planned(spec: CommandSpec, placeholders: Record<string, string>, timeoutMs: number): PlannedCommand {
  return { spec, placeholders, timeoutMs, text: commandText(spec, placeholders) };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

class BatchFailure extends Error {
  constructor(readonly result: BatchResult, message: string, readonly aborted = false) {
    super(message);
  }
}

/** nginx's message names the candidate (or a throwaway file): say the destination, the file the operator knows. */
function namingDestinations(text: string, candidates: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [destination, candidate] of candidates) out = out.split(candidate).join(`${destination} (candidate)`);
  return out;
}

export async function applyBatch(group: string, items: readonly BatchItem[], options: ApplyOptions): Promise<BatchOutcome> {
  const run = options.run ?? runCommand;
  const log = options.logger.child({ group });
  const commands: CommandRun[] = [];

  const failureKind = (kind: CommandRun['kind']): BatchResult => (kind === 'validate' ? 'validation-failed' : 'reload-failed');
  const execute = async (kind: CommandRun['kind'], command: PlannedCommand, rename?: ReadonlyMap<string, string>) => {
    if (kind === 'reload') crashPoint(CRASH_POINTS.beforeReload);
    const pending = run(command.spec, { timeoutMs: command.timeoutMs, placeholders: command.placeholders, signal: options.signal, stopGraceMs: options.stopGraceMs });
    if (kind === 'validate') crashPoint(CRASH_POINTS.duringValidate);
    let result = await pending;
    if (rename) result = { ...result, stdout: namingDestinations(result.stdout, rename), stderr: namingDestinations(result.stderr, rename) };
    commands.push({ kind, command: result.command, result });
    log.debug({ kind, command: result.command, ms: result.durationMs, ok: result.ok }, `${kind} command finished`);
    if (!result.ok) throw new BatchFailure(failureKind(kind), describeFailure(result), result.aborted === true);
    if (kind === 'reload') crashPoint(CRASH_POINTS.afterReload);
  };
  const clearJournals = async (items: readonly BatchItem[]) => {
    for (const item of items) {
      await clearJournal(item.template.destination).catch((err: unknown) => log.error({ destination: item.template.destination, err: errorMessage(err) }, 'could not remove the journal'));
    }
  };

  const rollback = async (installed: readonly BatchItem[]) => {
    for (const item of [...installed].reverse()) {
      try {
        await restoreFileState(item.template.destination, item.previous, options.fileOps);
      } catch (err) {
        log.error({ destination: item.template.destination, err: errorMessage(err) }, 'could not put the previous file back');
      }
    }
  };

  /**
   * Candidates, validation, and (when valid) the files live, each under a `reloading` journal the reload step
   * clears; rolled back (journal cleared) on any failure. No reload.
   */
  const stage = async (batch: readonly BatchItem[]): Promise<{ written: BatchOutcome['written']; failure?: BatchFailure | Error }> => {
    const candidates = new Map<BatchItem, Candidate>();
    const installed: BatchItem[] = [];
    const journaled: BatchItem[] = [];
    const written: BatchOutcome['written'] = [];
    const candidateOf = (item: BatchItem): Candidate => {
      const candidate = candidates.get(item);
      if (!candidate) throw new Error(`internal: no candidate written for ${item.template.destination}`);
      return candidate;
    };
    const install = async (item: BatchItem) => {
      const method = await installCandidate(candidateOf(item), options.fileOps);
      installed.push(item);
      written.push({ destination: item.template.destination, method });
    };
    const journal = async (phase: 'validating' | 'reloading') => {
      for (const item of batch) {
        const again = journaled.includes(item);
        await writeJournal(item.template.destination, phase, candidateOf(item).path, item.previous, { keepPrevious: again });
        if (!again) journaled.push(item);
      }
    };
    try {
      for (const item of batch) {
        candidates.set(item, await writeCandidate(item.template.destination, item.output, { perms: item.template.perms, createDestDirs: item.template.createDestDirs, existing: item.previous }));
      }
      crashPoint(CRASH_POINTS.afterCandidateWrite);
      // 1. Validators that take the candidate's path: nothing live is touched.
      const onCandidate = batch.flatMap((item) => {
        const t = item.template;
        if (t.validateCommand === undefined || !hasPlaceholder(t.validateCommand, 'candidate')) return [];
        return [planned(t.validateCommand, { candidate: candidateOf(item).path, destination: t.destination }, t.commandTimeoutMs)];
      });
      for (const command of distinct(onCandidate)) await execute('validate', command);
      // 2. Validators that read the live path: `nginx -t` on a throwaway main config including the candidates;
      // any other command with the whole batch swapped in (journaled), validated once, swapped back on failure.
      const liveValidators = distinct(
        batch.flatMap(({ template: t }) =>
          t.validateCommand !== undefined && !hasPlaceholder(t.validateCommand, 'candidate') ? [planned(t.validateCommand, { destination: t.destination }, t.commandTimeoutMs)] : []),
      );
      const replacements = new Map(batch.map((item) => [item.template.destination, candidateOf(item).path]));
      const swapValidators: PlannedCommand[] = [];
      for (const command of liveValidators) {
        const test = parseNginxTest(command.spec, command.placeholders);
        // The templates this command validates must be read by it, or it is no check of them.
        const checked = batch.filter(({ template: t }) => t.validateCommand !== undefined && commandText(t.validateCommand, { destination: t.destination }) === command.text).map((i) => i.template.destination);
        const throwaway = test ? await writeThrowaway(await mainConfigOf(test), replacements, checked) : undefined;
        if (!test || !throwaway) {
          swapValidators.push(command);
          continue;
        }
        try {
          const argv = test.argvFor(throwaway.main);
          await execute('validate', { ...command, spec: argv, placeholders: {}, text: commandText(argv) }, replacements);
        } finally {
          await throwaway.remove();
        }
      }
      if (swapValidators.length > 0) {
        await journal('validating');
        for (const item of batch) await install(item);
        crashPoint(CRASH_POINTS.afterSwap);
        for (const command of swapValidators) await execute('validate', command);
      }
      // 3. Valid: the rest goes live, journaled until the reload step has run.
      await journal('reloading');
      for (const item of batch) if (!installed.includes(item)) await install(item);
      if (swapValidators.length === 0) crashPoint(CRASH_POINTS.afterSwap);
      return { written };
    } catch (err) {
      await rollback(installed);
      await clearJournals(journaled);
      return { written: [], failure: asError(err) };
    } finally {
      // A renamed candidate is the live file now; only the others are left to remove.
      await Promise.all([...candidates].filter(([item]) => !installed.includes(item)).map(([, c]) => discardCandidate(c).catch(() => undefined)));
    }
  };

  const results: Record<string, BatchResult> = {};
  const errors: Record<string, string> = {};
  const fail = (item: BatchItem, failure: Error) => {
    results[item.template.destination] = failure instanceof BatchFailure ? failure.result : 'io-error';
    errors[item.template.destination] = failure.message;
  };

  let written: BatchOutcome['written'] = [];
  let live: BatchItem[] = [];
  const whole = await stage(items);
  if (!whole.failure) {
    written = whole.written;
    live = [...items];
  } else if (whole.failure instanceof BatchFailure && whole.failure.result === 'validation-failed' && items.length > 1) {
    // One broken template must not hold back the rest of its group: validate each alone, keep the ones that pass.
    log.warn({ error: whole.failure.message }, 'batch failed validation; validating its templates one by one');
    for (const item of items) {
      const alone = await stage([item]);
      if (alone.failure) fail(item, alone.failure);
      else {
        written.push(...alone.written);
        live.push(item);
      }
    }
  } else {
    for (const item of items) fail(item, whole.failure);
  }

  if (live.length > 0) {
    try {
      for (const item of live) if (item.template.backup) await writeBackup(item.template.destination, item.previous);
      const reloads = distinct(live.flatMap(({ template: t }) => (t.reloadCommand !== undefined ? [planned(t.reloadCommand, { destination: t.destination }, t.commandTimeoutMs)] : [])));
      for (const command of reloads) await execute('reload', command);
      for (const item of live) results[item.template.destination] = 'ok';
      for (const item of live) clearJournalSoon(item.template.destination, (err) => log.error({ destination: item.template.destination, err: errorMessage(err) }, 'could not remove the journal'));
    } catch (err) {
      if (err instanceof BatchFailure && err.aborted) {
        // Stopping mid-reload: nginx may or may not have been signalled. The files stay live under their journal,
        // which makes the next start reload (putting them back without a reload could leave nginx on other bytes).
        log.warn({ destinations: live.map((i) => i.template.destination) }, 'stopped during the reload; the journal makes the next start reload');
      } else {
        for (const item of live) {
          await writeJournal(item.template.destination, 'undoing', '', item.previous, { keepPrevious: true }).catch(() => undefined);
        }
        await rollback(live);
        await clearJournals(live);
      }
      written = [];
      for (const item of live) fail(item, asError(err));
    }
  }

  const firstFailure = items.map((i) => i.template.destination).find((d) => results[d] !== 'ok');
  return {
    result: firstFailure ? results[firstFailure] : 'ok',
    results,
    written,
    commands,
    error: firstFailure ? errors[firstFailure] : undefined,
    errors,
  };
}
