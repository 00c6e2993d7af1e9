// The push secret shared with nginx's Lua endpoint (its secret_file): read once from the file
// CONSUL_SIDECARS_PUSH_SECRET_FILE names, validated, never logged. A file (not the value in env or on the command
// line) so it is not in `ps`, `docker inspect` or a crash report, and its mode says who may push.

import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '@consul-sidecars/core';

export const PUSH_SECRET_FILE_ENV = 'CONSUL_SIDECARS_PUSH_SECRET_FILE';
/** The Lua side's minimum too (upstreams.lua MIN_SECRET). */
export const MIN_SECRET_LENGTH = 16;

/** The secret, or undefined when the variable is unset; a ConfigError naming the variable and file otherwise. */
export function pushSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env[PUSH_SECRET_FILE_ENV];
  if (path === undefined || path === '') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${PUSH_SECRET_FILE_ENV}=${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { field: PUSH_SECRET_FILE_ENV, value: path });
  }
  const secret = text.trim();
  if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
    throw new ConfigError(`${PUSH_SECRET_FILE_ENV}=${path}: must hold one word of at least ${MIN_SECRET_LENGTH} characters`, { field: PUSH_SECRET_FILE_ENV, value: path });
  }
  if ((statSync(path).mode & 0o004) !== 0) {
    throw new ConfigError(`${PUSH_SECRET_FILE_ENV}=${path}: readable by every user (mode ${(statSync(path).mode & 0o777).toString(8)}); make it 0600 or 0640`, { field: PUSH_SECRET_FILE_ENV, value: path });
  }
  return secret;
}
