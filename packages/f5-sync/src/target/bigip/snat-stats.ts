// Observe (and set) SNAT pools on the BIG-IP: a pool's translation members, and the connections each translation
// address carries now (GET /mgmt/tm/ltm/snat-translation/stats, one read for every address). Answers validated here.

import { CodedError } from '@consul-sidecars/core';
import type { PoolRef } from '../pool-model';
import type { IcontrolClient } from './icontrol-client';
import { urlSegment } from './icontrol-paths';

/** The counter of current connections through a translation address (as `tmsh show ltm snat-translation` names it). */
export const SNAT_CONNECTIONS_STAT = 'serverside.curConns';

function payloadError(what: string, field: string, value: unknown): CodedError {
  return new CodedError('ERR_ICONTROL_PAYLOAD', `unexpected iControl ${what}: ${field} is ${JSON.stringify(value)}`, { field, value });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function snatPoolPath(ref: PoolRef): string {
  return `/mgmt/tm/ltm/snatpool/${urlSegment(ref.partition, ref.name)}`;
}

/** The SNAT pool's members as full paths ("/Common/10.2.0.1"). */
export function parseSnatPoolMembers(raw: unknown): string[] {
  if (!isObject(raw)) throw payloadError('snatpool', '(body)', raw);
  const members = raw.members ?? [];
  if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) throw payloadError('snatpool', 'members', raw.members);
  return members as string[];
}

/** Translation full path -> current connections, from a collection's `entries` -> `nestedStats` -> `entries`. */
export function parseTranslationConnections(raw: unknown): Map<string, number> {
  if (!isObject(raw) || !isObject(raw.entries ?? {})) throw payloadError('snat-translation stats', 'entries', isObject(raw) ? raw.entries : raw);
  const out = new Map<string, number>();
  for (const [link, entry] of Object.entries((raw.entries ?? {}) as Record<string, unknown>)) {
    const nested = isObject(entry) && isObject(entry.nestedStats) ? entry.nestedStats.entries : undefined;
    if (!isObject(nested)) throw payloadError('snat-translation stats', `entries["${link}"].nestedStats.entries`, nested);
    const name = isObject(nested.tmName) ? nested.tmName.description : undefined;
    if (typeof name !== 'string') throw payloadError('snat-translation stats', `entries["${link}"] tmName`, nested.tmName);
    const counter = nested[SNAT_CONNECTIONS_STAT];
    const value = isObject(counter) ? counter.value : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw payloadError('snat-translation stats', `${name} ${SNAT_CONNECTIONS_STAT}`, value);
    out.set(name, value);
  }
  return out;
}

export async function readSnatPoolMembers(client: IcontrolClient, ref: PoolRef): Promise<string[]> {
  return parseSnatPoolMembers(await client.request({ method: 'GET', path: snatPoolPath(ref) }));
}

export async function readTranslationConnections(client: IcontrolClient): Promise<Map<string, number>> {
  return parseTranslationConnections(await client.request({ method: 'GET', path: '/mgmt/tm/ltm/snat-translation/stats' }));
}

/** Replaces the SNAT pool's members (BIG-IP creates translation addresses it does not know yet). */
export async function setSnatPoolMembers(client: IcontrolClient, ref: PoolRef, members: string[]): Promise<void> {
  await client.request({ method: 'PATCH', path: snatPoolPath(ref), body: { members } });
}
