// Query kind `catalog.services` (template: services()): /v1/catalog/services, every service's name and tags, read
// by core's parser. The watch keeps them as Consul has them; nunjucks reads `templateCatalogServices` of it (names
// and tags that would break the rendered syntax dropped and reported).

import { catalogServicesRead, parseCatalogServices, type CatalogService as ConsulCatalogService } from '@consul-sidecars/core';
import { isSafeServiceName } from '../nginx-safety';
import type { CatalogService } from './consul-data';
import type { QueryKind, RejectListener } from './dependency';
import { safeTags } from './service';

/** core's services (sorted by name, tags unique and sorted) -> only names and tags safe to render. */
export function templateCatalogServices(services: readonly ConsulCatalogService[], onReject?: RejectListener): CatalogService[] {
  const out: CatalogService[] = [];
  for (const service of services) {
    if (!isSafeServiceName(service.Name)) {
      onReject?.('service', service.Name, 'catalog');
      continue;
    }
    out.push({ Name: service.Name, Tags: safeTags(service.Tags, service.Name, onReject) });
  }
  return out;
}

/** A /v1/catalog/services answer (raw JSON) as templates see it; a malformed answer throws ERR_CONSUL_PAYLOAD. */
export function normaliseCatalogServices(raw: unknown, onReject?: RejectListener): CatalogService[] {
  return templateCatalogServices(parseCatalogServices(raw), onReject);
}

export const catalogServicesKind: QueryKind<'catalog.services'> = {
  key: (dep) => (dep.dc ? `catalog.services(@${dep.dc})` : 'catalog.services'),
  query: (consul, dep) => consul.blockingQuery(catalogServicesRead(), { dc: dep.dc }),
};
