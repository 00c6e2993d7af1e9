// iControl URL paths of pools and members ("/mgmt/tm/ltm/pool/~Partition~name/members/~Partition~addr:port").

import type { PoolRef } from '../pool-model';

/** "~Common~web_pool": a full path as it appears in a URL ('%' of a route domain escaped). */
export function urlSegment(partition: string, name: string): string {
  return `~${partition}~${name}`.replace(/%/g, '%25');
}

export function poolPath(pool: PoolRef): string {
  return `/mgmt/tm/ltm/pool/${urlSegment(pool.partition, pool.name)}`;
}

export function membersPath(pool: PoolRef): string {
  return `${poolPath(pool)}/members`;
}

export function memberPath(pool: PoolRef, member: string): string {
  return `${membersPath(pool)}/${urlSegment(pool.partition, member)}`;
}
