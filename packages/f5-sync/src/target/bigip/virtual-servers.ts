// BIG-IP virtual servers: read the ones of some partitions (one collection GET each, profiles expanded), and the
// iControl call for each virtual server action. Answers validated here, once.

import { CodedError } from '@consul-sidecars/core';
import type { VirtualAction } from '../../plan/virtual-plan';
import type { LiveVirtual, SnatSetting } from '../pool-model';
import type { IcontrolCall, IcontrolClient } from './icontrol-client';
import { urlSegment } from './icontrol-paths';

function payloadError(field: string, value: unknown): CodedError {
  return new CodedError('ERR_ICONTROL_PAYLOAD', `unexpected iControl virtual server: ${field} is ${JSON.stringify(value)}`, { field, value });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function virtualPath(ref: { partition: string; name: string }): string {
  return `/mgmt/tm/ltm/virtual/${urlSegment(ref.partition, ref.name)}`;
}

export function parseLiveVirtual(raw: unknown): LiveVirtual {
  if (!isObject(raw)) throw payloadError('(item)', raw);
  const { name, partition, destination, pool, description } = raw;
  if (typeof name !== 'string' || name === '') throw payloadError('name', name);
  if (typeof partition !== 'string') throw payloadError(`${name} partition`, partition);
  if (typeof destination !== 'string') throw payloadError(`${name} destination`, destination);
  if (pool !== undefined && typeof pool !== 'string') throw payloadError(`${name} pool`, pool);
  if (description !== undefined && typeof description !== 'string') throw payloadError(`${name} description`, description);
  const translation = isObject(raw.sourceAddressTranslation) ? raw.sourceAddressTranslation : { type: 'none' };
  let snat: SnatSetting;
  if (translation.type === 'snat' && typeof translation.pool === 'string') snat = { type: 'snat', pool: translation.pool };
  else if (translation.type === 'automap' || translation.type === 'none') snat = { type: translation.type };
  else throw payloadError(`${name} sourceAddressTranslation`, translation);
  const items = isObject(raw.profilesReference) && Array.isArray(raw.profilesReference.items) ? raw.profilesReference.items : [];
  const profiles = items.map((item) => (isObject(item) && typeof item.fullPath === 'string' ? item.fullPath : undefined));
  if (profiles.some((p) => p === undefined)) throw payloadError(`${name} profilesReference.items`, items);
  return { name, partition, destination, pool, description, sourceAddressTranslation: snat, profiles: profiles as string[] };
}

/** The virtual servers of the given partitions. */
export async function readLiveVirtuals(client: IcontrolClient, partitions: readonly string[]): Promise<LiveVirtual[]> {
  const out: LiveVirtual[] = [];
  for (const partition of new Set(partitions)) {
    const filter = encodeURIComponent(`partition eq ${partition}`);
    const raw = await client.request<{ items?: unknown[] }>({ method: 'GET', path: `/mgmt/tm/ltm/virtual?expandSubcollections=true&$filter=${filter}` });
    for (const item of Array.isArray(raw?.items) ? raw.items : []) out.push(parseLiveVirtual(item));
  }
  return out;
}

export function callForVirtual(action: VirtualAction): IcontrolCall {
  switch (action.kind) {
    case 'createVirtual':
      return { method: 'POST', path: '/mgmt/tm/ltm/virtual', body: { name: action.ref.name, partition: action.ref.partition, ipProtocol: 'tcp', ...action.fields } };
    case 'updateVirtual':
      return { method: 'PATCH', path: virtualPath(action.ref), body: action.changes };
    case 'removeVirtual':
      return { method: 'DELETE', path: virtualPath(action.ref) };
  }
}
