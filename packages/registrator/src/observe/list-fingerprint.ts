// Pure: a digest of what `GET /containers/json` shows of a container, so a full reconcile re-inspects only the
// containers whose list entry changed since their last inspect (an unchanged engine: no inspect at all).

import { createHash } from 'node:crypto';

/**
 * Everything the list entry carries but the uptime text: names, image, state, ports, labels, networks (with their
 * addresses), network mode, mounts; of `Status` only its parenthesised parts: the exit code ("Exited (1) ..."), the
 * health ("Up 2 hours (healthy)"), "(Paused)". Whatever an inspect shows that registrator reads and can change while a
 * container lives (state, exit code, health, networks and addresses, ports, name) is in the list entry too; labels,
 * env, exposed ports and the healthcheck are fixed at create. Undefined for an entry that is not an object.
 */
export function listFingerprint(entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const { Status, ...rest } = entry as Record<string, unknown>;
  const statusParts = typeof Status === 'string' ? (Status.match(/\([^)]*\)/g) ?? []).join('') : '';
  return createHash('sha1').update(JSON.stringify(rest)).update('\0').update(statusParts).digest('base64');
}
