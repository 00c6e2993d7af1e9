// The desired-state file as the daemon sees it: loaded once strictly, then reloaded keeping the last good state.

import { statSync } from 'node:fs';
import { ConfigError } from '@consul-sidecars/core';
import { loadDesiredStateFile, type DesiredState } from './desired-state';

export interface ReloadResult {
  changed: boolean;
  error?: ConfigError | Error;
  /** Set when the file had not moved since the last read, so it was not read again. */
  unmodified?: true;
}

/** The desired-state file as the daemon sees it: loaded once strictly, then reloaded keeping the last good state on error. */
export class DesiredStateSource {
  readonly path: string;
  private state?: DesiredState;
  private seenMtimeMs = -1;
  private seenSize = -1;
  /** The error of the last failed reload (cleared by a good one). */
  lastError?: Error;

  constructor(path: string) {
    this.path = path;
  }

  /** The last good state; throws when none was ever loaded. */
  get current(): DesiredState {
    if (!this.state) throw new ConfigError(`desired-state file ${this.path} was not loaded`, { field: 'desired', value: this.path });
    return this.state;
  }

  /** First load: an invalid file is fatal (throws). */
  load(): DesiredState {
    this.remember();
    this.state = loadDesiredStateFile(this.path);
    this.lastError = undefined;
    return this.state;
  }

  /** Reloads; on any error keeps the last good state and reports the error. */
  reload(): ReloadResult {
    this.remember();
    try {
      const next = loadDesiredStateFile(this.path);
      const changed = next.hash !== this.state?.hash;
      this.state = next;
      this.lastError = undefined;
      return { changed };
    } catch (err) {
      this.lastError = err as Error;
      return { changed: false, error: err as Error };
    }
  }

  /** Reloads only when the file's mtime or size moved since the last read (cheap to call every pass). */
  reloadIfModified(): ReloadResult {
    try {
      const stat = statSync(this.path);
      if (stat.mtimeMs === this.seenMtimeMs && stat.size === this.seenSize) return { changed: false, unmodified: true };
    } catch {
      // Fall through: reload() reports the unreadable file and keeps the last good state.
    }
    return this.reload();
  }

  private remember(): void {
    try {
      const stat = statSync(this.path);
      this.seenMtimeMs = stat.mtimeMs;
      this.seenSize = stat.size;
    } catch {
      this.seenMtimeMs = -1;
      this.seenSize = -1;
    }
  }
}
