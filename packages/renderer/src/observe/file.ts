// Query kind `file` (Go templates' `file`): a local file's text, polled for changes as consul-template polls it
// (null while the file does not exist; the watcher emits only when the text changed).

import { readFile } from 'node:fs/promises';
import { sleep, type BlockingQuery } from '@consul-sidecars/core';
import type { QueryKind } from './dependency';

/** How often a watched file is read again (consul-template: FileQuerySleepTime, 2 s). */
export const FILE_POLL_MS = 2_000;

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export const fileKind: QueryKind<'file'> = {
  key: (dep) => `file(${dep.path})`,
  query(_consul, dep): BlockingQuery<string | null> {
    let index = 0;
    return async ({ index: sent, signal }) => {
      if (sent !== undefined) await sleep(FILE_POLL_MS, signal);
      return { data: await readText(dep.path), index: ++index };
    };
  },
};
