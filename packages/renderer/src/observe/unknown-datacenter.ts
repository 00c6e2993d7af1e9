// Consul answers a read for a datacenter it has no path to with 500 "No path to datacenter". That is not Consul being
// away: it is the template's error (it names a datacenter that does not exist), reported as such, naming it.

import { errorMessage, type BlockingQuery } from '@consul-sidecars/core';
import { rendererError } from '../errors';

export const ERR_UNKNOWN_DATACENTER = 'ERR_UNKNOWN_DATACENTER';

export function isNoPathToDatacenter(err: unknown): boolean {
  return /HTTP 500: No path to datacenter/.test(errorMessage(err));
}

/** The query, with Consul's "No path to datacenter" turned into ERR_UNKNOWN_DATACENTER naming `dc` and the watch. */
export function namingUnknownDatacenter<T>(query: BlockingQuery<T>, dc: string, watch: string): BlockingQuery<T> {
  return async (params) => {
    try {
      return await query(params);
    } catch (err) {
      if (!isNoPathToDatacenter(err)) throw err;
      throw rendererError(ERR_UNKNOWN_DATACENTER, `${watch}: datacenter "${dc}" is unknown to Consul (No path to datacenter)`, { dc, watch }, { cause: err });
    }
  };
}
