// On start, before the first render: finishes or undoes what a killed renderer left in its journals (journal.ts),
// so the live path holds a validated file and nginx runs it; and removes candidates a killed renderer left behind.
//
// - `validating` (an unvalidated candidate swapped in for a live-path validator): the previous file goes back.
// - `reloading` (validated): the candidate goes live if it was not renamed yet, then the reload command runs.
//   A reload that fails puts the previous files back, as a failed reload does in a running renderer.
// - `undoing`: the previous file goes back.

import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { errorMessage, type Logger } from '@consul-sidecars/core';
import type { TemplateConfig } from '../config';
import { commandText, describeFailure, runCommand, type CommandOptions, type CommandResult } from './commands';
import type { CommandSpec } from '../config';
import { fileExists, installCandidate, restoreFileState, type FileOps } from './file-swap';
import { clearJournal, previousOf, readJournal, type JournalEntry } from './journal';

export interface RecoveryOptions {
  logger: Logger;
  fileOps?: FileOps;
  run?: (spec: CommandSpec, options: CommandOptions) => Promise<CommandResult>;
}

export interface RecoveryReport {
  /** Destinations put back to their previous file. */
  undone: string[];
  /** Destinations whose validated file was kept (or put) live and reloaded. */
  finished: string[];
  reloads: string[];
  /** Candidates of dead renderers removed. */
  removedCandidates: string[];
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `.<name>.<pid>.<hex>.tmp` (file-swap.ts's candidates) of a process that is gone. */
async function removeStaleCandidates(destination: string): Promise<string[]> {
  const name = basename(destination);
  const dir = dirname(destination);
  const removed: string[] = [];
  for (const entry of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!entry.startsWith(`.${name}.`)) continue;
    const m = /^\.(.+)\.([0-9]+)\.[0-9a-f]{8}\.tmp$/.exec(entry);
    if (!m || m[1] !== name || pidAlive(Number(m[2]))) continue;
    await fs.rm(`${dir}/${entry}`, { force: true });
    removed.push(`${dir}/${entry}`);
  }
  return removed;
}

/** Throwaway config trees (nginx-throwaway.ts) of renderers killed during a validation. */
async function removeStaleThrowaways(): Promise<void> {
  for (const entry of await fs.readdir(tmpdir()).catch(() => [] as string[])) {
    const m = /^renderer-nginx-check-([0-9]+)-/.exec(entry);
    if (m && !pidAlive(Number(m[1]))) await fs.rm(join(tmpdir(), entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

export async function recoverJournals(templates: readonly TemplateConfig[], options: RecoveryOptions): Promise<RecoveryReport> {
  const log = options.logger;
  const run = options.run ?? runCommand;
  const report: RecoveryReport = { undone: [], finished: [], reloads: [], removedCandidates: [] };
  const seen = new Set<string>();
  const toReload: { template: TemplateConfig; entry: JournalEntry }[] = [];
  await removeStaleThrowaways();

  const undo = async (entry: JournalEntry) => {
    await restoreFileState(entry.destination, await previousOf(entry), options.fileOps);
    await clearJournal(entry.destination);
    report.undone.push(entry.destination);
  };

  for (const template of templates) {
    const destination = template.destination;
    if (seen.has(destination)) continue;
    seen.add(destination);
    let entry: JournalEntry | undefined;
    try {
      entry = await readJournal(destination);
      if (entry?.phase === 'reloading' && entry.candidate !== '' && (await fileExists(entry.candidate))) {
        // Validated, killed before its rename: finish it.
        await installCandidate({ destination, path: entry.candidate, content: await fs.readFile(entry.candidate, 'utf8'), mode: (await fs.stat(entry.candidate)).mode & 0o7777 }, options.fileOps);
      }
      report.removedCandidates.push(...(await removeStaleCandidates(destination)));
      if (!entry) continue;
      log.warn({ destination, phase: entry.phase, pid: entry.pid, at: entry.at }, entry.phase === 'reloading' ? 'a previous run was stopped before nginx was reloaded: reloading now' : 'a previous run was stopped before its file was validated: putting the previous file back');
      if (entry.phase === 'reloading') toReload.push({ template, entry });
      else await undo(entry);
    } catch (err) {
      log.error({ destination, err: errorMessage(err) }, 'cannot recover from the journal; the next successful write replaces it');
    }
  }

  // One run per distinct reload command, as a batch does.
  const commands = new Map<string, { spec: CommandSpec; timeoutMs: number; entries: JournalEntry[] }>();
  for (const { template, entry } of toReload) {
    if (template.reloadCommand === undefined) {
      await clearJournal(entry.destination);
      report.finished.push(entry.destination);
      continue;
    }
    const text = commandText(template.reloadCommand, { destination: template.destination });
    const known = commands.get(text) ?? { spec: template.reloadCommand, timeoutMs: template.commandTimeoutMs, entries: [] };
    known.entries.push(entry);
    commands.set(text, known);
  }
  for (const [text, c] of commands) {
    const destination = c.entries[0].destination;
    const result = await run(c.spec, { timeoutMs: c.timeoutMs, placeholders: { destination } });
    report.reloads.push(text);
    if (result.ok) {
      for (const e of c.entries) {
        await clearJournal(e.destination);
        report.finished.push(e.destination);
      }
      log.info({ command: text, destinations: c.entries.map((e) => e.destination) }, 'reloaded what the journal left pending');
      continue;
    }
    log.error({ command: text, error: describeFailure(result) }, 'the pending reload failed; putting the previous files back');
    for (const e of c.entries) await undo(e).catch((err: unknown) => log.error({ destination: e.destination, err: errorMessage(err) }, 'could not put the previous file back'));
  }
  return report;
}
