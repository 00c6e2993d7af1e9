// Acts on one group's planned writes: candidates, validation, swap, reload; and on any failure puts every previous
// file back so the last good config stays live. A broken render is never in place when this renderer reloads.
//
// Validation, per template:
// - a validate command with `{{candidate}}` runs against the candidate's path; the live file is not touched;
// - a validate command without it (`nginx -t`, which reads the live include) runs with all of the batch's candidates
//   swapped in, and they are swapped back out if it fails. The runner applies one batch at a time, so its own
//   reloads never see a swapped-in candidate; the window where an outside reload could is the command's runtime.

import type { Logger } from '@consul-sidecars/core';
import { errorMessage } from '@consul-sidecars/core';
import { commandText, describeFailure, hasPlaceholder, runCommand, type CommandOptions, type CommandResult } from './commands';
import type { CommandSpec, TemplateConfig } from '../config';
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
  constructor(readonly result: BatchResult, message: string) {
    super(message);
  }
}

export async function applyBatch(group: string, items: readonly BatchItem[], options: ApplyOptions): Promise<BatchOutcome> {
  const run = options.run ?? runCommand;
  const log = options.logger.child({ group });
  const commands: CommandRun[] = [];

  const execute = async (kind: CommandRun['kind'], command: PlannedCommand) => {
    const result = await run(command.spec, { timeoutMs: command.timeoutMs, placeholders: command.placeholders });
    commands.push({ kind, command: result.command, result });
    log.debug({ kind, command: result.command, ms: result.durationMs, ok: result.ok }, `${kind} command finished`);
    if (!result.ok) throw new BatchFailure(kind === 'validate' ? 'validation-failed' : 'reload-failed', describeFailure(result));
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

  /** Candidates, validation, and (when valid) the files live; rolled back on any failure. No reload. */
  const stage = async (batch: readonly BatchItem[]): Promise<{ written: BatchOutcome['written']; failure?: BatchFailure | Error }> => {
    const candidates = new Map<BatchItem, Candidate>();
    const installed: BatchItem[] = [];
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
    try {
      for (const item of batch) {
        candidates.set(item, await writeCandidate(item.template.destination, item.output, { perms: item.template.perms, createDestDirs: item.template.createDestDirs, existing: item.previous }));
      }
      // 1. Validators that take the candidate's path: nothing live is touched.
      const onCandidate = batch.flatMap((item) => {
        const t = item.template;
        if (t.validateCommand === undefined || !hasPlaceholder(t.validateCommand, 'candidate')) return [];
        return [planned(t.validateCommand, { candidate: candidateOf(item).path, destination: t.destination }, t.commandTimeoutMs)];
      });
      for (const command of distinct(onCandidate)) await execute('validate', command);
      // 2. Validators that read the live path: swap the whole batch in, validate once, swap back on failure.
      const swapValidators = distinct(
        batch.flatMap(({ template: t }) =>
          t.validateCommand !== undefined && !hasPlaceholder(t.validateCommand, 'candidate') ? [planned(t.validateCommand, { destination: t.destination }, t.commandTimeoutMs)] : []),
      );
      if (swapValidators.length > 0) {
        for (const item of batch) await install(item);
        for (const command of swapValidators) await execute('validate', command);
      }
      // 3. Valid: the rest goes live.
      for (const item of batch) if (!installed.includes(item)) await install(item);
      return { written };
    } catch (err) {
      await rollback(installed);
      return { written: [], failure: asError(err) };
    } finally {
      await Promise.all([...candidates.values()].map((c) => discardCandidate(c).catch(() => undefined)));
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
    } catch (err) {
      await rollback(live);
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
