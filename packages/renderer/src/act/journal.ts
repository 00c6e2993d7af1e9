// The renderer's intent, on disk next to each destination, for the one window a kill cannot be designed away: a
// file that is live (or about to be) while nginx may not run it yet. Written before the swap, removed once nginx
// runs what the file says; a renderer that starts and finds one finishes or undoes it (journal-recovery.ts).
//
// `.<name>.renderer-journal` holds the phase, the candidate's path and where the previous bytes are kept
// (`.<name>.renderer-previous`); both are hidden, so an nginx `include conf.d/*.conf` never reads them.

import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileState } from './file-swap';

/**
 * - `validating`: the candidate is swapped in for a validate command that reads the live path; not validated yet.
 * - `reloading`: validated; being put live (the candidate may not be renamed yet) and nginx reloaded.
 * - `undoing`: the reload failed; the previous file is being put back.
 */
export type JournalPhase = 'validating' | 'reloading' | 'undoing';

export interface JournalEntry {
  version: 1;
  phase: JournalPhase;
  destination: string;
  candidate: string;
  /** The previous file's mode and owner; null when there was no file (undo = remove it). */
  previous: { mode?: number; uid?: number; gid?: number } | null;
  pid: number;
  at: string;
}

export const journalPath = (destination: string): string => join(dirname(destination), `.${basename(destination)}.renderer-journal`);
export const previousCopyPath = (destination: string): string => join(dirname(destination), `.${basename(destination)}.renderer-previous`);

async function writeDurably(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await fs.open(temp, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, path);
}

/** Clears started by clearJournalSoon, per destination: the next write or read of that journal waits for its clear. */
const clearing = new Map<string, Promise<void>>();

/** Records the intent for `destination`; `previous` is kept beside it the first time (the bytes an undo puts back). */
export async function writeJournal(destination: string, phase: JournalPhase, candidate: string, previous: FileState, options: { keepPrevious?: boolean } = {}): Promise<void> {
  await clearing.get(destination);
  if (!options.keepPrevious && previous.content !== null) await writeDurably(previousCopyPath(destination), previous.content);
  const entry: JournalEntry = {
    version: 1,
    phase,
    destination,
    candidate,
    previous: previous.content === null ? null : { mode: previous.mode, uid: previous.uid, gid: previous.gid },
    pid: process.pid,
    at: new Date().toISOString(),
  };
  await writeDurably(journalPath(destination), `${JSON.stringify(entry)}\n`);
}

/** Moves an existing entry to another phase (the previous copy stays). */
export async function setJournalPhase(entry: JournalEntry, phase: JournalPhase): Promise<JournalEntry> {
  const next = { ...entry, phase, at: new Date().toISOString() };
  await writeDurably(journalPath(entry.destination), `${JSON.stringify(next)}\n`);
  return next;
}

/** The entry for `destination`, undefined when there is none; an unreadable one is an error naming the file. */
export async function readJournal(destination: string): Promise<JournalEntry | undefined> {
  await clearing.get(destination);
  const path = journalPath(destination);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not JSON (${JSON.stringify(text.slice(0, 80))})`);
  }
  const e = entry as Partial<JournalEntry>;
  if (e.version !== 1) throw new Error(`${path}: version must be 1, got ${JSON.stringify(e.version)}`);
  if (e.phase !== 'validating' && e.phase !== 'reloading' && e.phase !== 'undoing') throw new Error(`${path}: phase ${JSON.stringify(e.phase)} is not validating, reloading or undoing`);
  if (e.destination !== destination) throw new Error(`${path}: destination ${JSON.stringify(e.destination)} is not ${destination}`);
  if (typeof e.candidate !== 'string') throw new Error(`${path}: candidate must be a path, got ${JSON.stringify(e.candidate)}`);
  return e as JournalEntry;
}

/** The previous file as the journal recorded it. */
export async function previousOf(entry: JournalEntry): Promise<FileState> {
  if (entry.previous === null) return { content: null };
  return { content: await fs.readFile(previousCopyPath(entry.destination)), ...entry.previous };
}

export async function clearJournal(destination: string): Promise<void> {
  await fs.rm(journalPath(destination), { force: true });
  await fs.rm(previousCopyPath(destination), { force: true });
}

/**
 * Clears the journal without holding up the batch that finished (its file is live and nginx reloaded: a journal left
 * by a kill now only makes the next start reload once more). Ordered before the next write or read of it.
 */
export function clearJournalSoon(destination: string, onError: (err: unknown) => void): void {
  const done = (clearing.get(destination) ?? Promise.resolve()).then(() => clearJournal(destination)).catch(onError);
  clearing.set(destination, done);
  void done.finally(() => {
    if (clearing.get(destination) === done) clearing.delete(destination);
  });
}
