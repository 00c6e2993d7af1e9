// Puts rendered bytes in place the safe way: a candidate in the destination's own directory (a rename never crosses
// devices: consul-template #58/#73), fsync, the old mode and owner, atomic rename; and an in-place write where
// rename cannot work, e.g. a single-file Docker bind mount (rename -> EBUSY: consul-template #1410/#1436).

import { promises as fs, constants as fsConstants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The errno code of a failed fs call ('ENOENT', 'EXDEV'...), '' when there is none. */
function errnoCode(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

export interface FileState {
  content: Buffer | null;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface Candidate {
  destination: string;
  path: string;
  content: string;
  mode: number;
}

export type InstallMethod = 'rename' | 'in-place';

/** Errors where rename(2) cannot replace the destination but writing into it can. */
const RENAME_FALLBACK_CODES = new Set(['EBUSY', 'EXDEV', 'EPERM', 'EACCES', 'EISDIR']);

/** Seams for tests that need rename to fail the way a bind mount makes it fail. */
export interface FileOps {
  rename: (from: string, to: string) => Promise<void>;
}

const realOps: FileOps = { rename: (from, to) => fs.rename(from, to) };

export async function readFileState(path: string): Promise<FileState> {
  try {
    const [content, stat] = await Promise.all([fs.readFile(path), fs.stat(path)]);
    return { content, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { content: null };
    throw err;
  }
}

/** The candidate's name: hidden and ending in `.tmp`, so an nginx `include conf.d/*.conf` never picks it up. */
export function candidatePath(destination: string): string {
  return join(dirname(destination), `.${basename(destination)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

async function writeSynced(path: string, content: string | Buffer, flags: string, mode: number): Promise<void> {
  const handle = await fs.open(path, flags, mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `content` next to `destination`, with `perms` or the existing file's mode (else 0644) and owner. */
export async function writeCandidate(destination: string, content: string, options: { perms?: number; createDestDirs?: boolean; existing?: FileState } = {}): Promise<Candidate> {
  if (options.createDestDirs ?? true) await fs.mkdir(dirname(destination), { recursive: true });
  const existing = options.existing ?? (await readFileState(destination));
  const mode = options.perms ?? existing.mode ?? 0o644;
  const path = candidatePath(destination);
  await writeSynced(path, content, 'wx', mode);
  await fs.chmod(path, mode); // the umask applied at open time
  if (existing.uid !== undefined && process.getuid?.() === 0) {
    await fs.chown(path, existing.uid, existing.gid ?? -1).catch(() => undefined);
  }
  return { destination, path, content, mode };
}

export async function discardCandidate(candidate: Candidate): Promise<void> {
  await fs.rm(candidate.path, { force: true });
}

/** Moves the candidate over the destination; falls back to rewriting the destination in place. */
export async function installCandidate(candidate: Candidate, ops: FileOps = realOps): Promise<InstallMethod> {
  try {
    await ops.rename(candidate.path, candidate.destination);
    return 'rename';
  } catch (err) {
    const code = errnoCode(err);
    if (!RENAME_FALLBACK_CODES.has(code)) throw err;
    // Same inode, new bytes: what a bind-mounted file needs. Not atomic, which is why the runner only does it
    // under its lock, before the reload that makes nginx read it.
    await writeSynced(candidate.destination, candidate.content, 'w', candidate.mode);
    await fs.chmod(candidate.destination, candidate.mode).catch(() => undefined);
    await discardCandidate(candidate);
    return 'in-place';
  }
}

/** Puts a previous state back (used when validation or reload fails after a swap). */
export async function restoreFileState(destination: string, previous: FileState, ops: FileOps = realOps): Promise<void> {
  if (previous.content === null) {
    await fs.rm(destination, { force: true });
    return;
  }
  const candidate = await writeCandidate(destination, previous.content.toString('utf8'), { perms: previous.mode, existing: previous });
  await installCandidate({ ...candidate, content: previous.content.toString('utf8') }, ops);
}

/** consul-template's `backup`: exactly one `<destination>.bak` holding the previous file, with its mode. */
export async function writeBackup(destination: string, previous: FileState): Promise<void> {
  if (previous.content === null) return;
  const backup = `${destination}.bak`;
  const candidate = await writeCandidate(backup, previous.content.toString('utf8'), { perms: previous.mode, existing: previous });
  await installCandidate(candidate);
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await fs.access(path, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}
