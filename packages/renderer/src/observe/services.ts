// Query kind `catalog.services` (template: services()): /v1/catalog/services, every service's name and tags.

import { consulBlockingQuery } from '@consul-sidecars/core';
import { isSafeServiceName } from '../nginx-safety';
import type { CatalogService } from './consul-data';
import type { QueryKind, RejectListener } from './dependency';
import { compareText, isRecord } from './payload';
import { safeTags } from './service';

/** /v1/catalog/services ({name: tags}) -> [{Name, Tags}] sorted by name, unsafe names and tags dropped. */
export function normaliseCatalogServices(raw: unknown, onReject?: RejectListener): CatalogService[] {
  if (!isRecord(raw)) return [];
  const out: CatalogService[] = [];
  for (const [name, tags] of Object.entries(raw)) {
    if (!isSafeServiceName(name)) {
      onReject?.('service', name, 'catalog');
      continue;
    }
    out.push({ Name: name, Tags: [...new Set(safeTags(tags, name, onReject))].sort() });
  }
  return out.sort((a, b) => compareText(a.Name, b.Name));
}

export const catalogServicesKind: QueryKind<'catalog.services'> = {
  key: () => 'catalog.services',
  query: (consul, _dep, onReject) => consulBlockingQuery((request) => consul.catalog.service.list(request), {}, (raw) => normaliseCatalogServices(raw, onReject)),
};
