// Query kind `catalog.datacenters` (Go templates' `datacenters`): /v1/catalog/datacenters. Consul cannot block on it,
// so after the first read it is polled, as consul-template polls it.

import { sleep, stringsAt, type BlockingQuery } from '@consul-sidecars/core';
import type { QueryKind } from './dependency';

/** How often the list is read again (consul-template: CatalogDatacentersQuerySleepTime, 15 s). */
export const DATACENTERS_POLL_MS = 15_000;

export const catalogDatacentersKind: QueryKind<'catalog.datacenters'> = {
  key: () => 'catalog.datacenters',
  query(consul): BlockingQuery<string[]> {
    let index = 0;
    return async ({ index: sent, signal }) => {
      if (sent !== undefined) await sleep(DATACENTERS_POLL_MS, signal);
      const list = await consul.read({ path: '/catalog/datacenters', parse: (body) => stringsAt(body, '', 'a datacenter name') }, { signal });
      return { data: list, index: ++index };
    };
  },
};
