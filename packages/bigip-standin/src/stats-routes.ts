// GET …/stats for virtual servers, pools, nodes and SNAT translation addresses (one object or the whole collection).
import { rest } from './errors';
import { findPool, objectsOf, type LtmConfig } from './ltm-config';
import { findObject } from './ltm-objects';
import type { LtmReply } from './ltm-routes';
import { parseUrlSegment } from './names';
import { findNode } from './nodes';
import { SNAT_TRANSLATION } from './snat-pools';
import {
  NODE_STATS, nodeStatEntries, POOL_STATS, poolStatEntries, renderCollectionStats, renderObjectStats, SNAT_TRANSLATION_STATS,
  snatTranslationStatEntries, VIRTUAL_STATS, virtualStatEntries, type StatEntries, type StatsKind, type StatsStore,
} from './stats';
import { VIRTUAL_SERVER } from './virtual-servers';
import type { ObjectRef } from './names';

const STATS_PATH = /^\/mgmt\/tm\/ltm\/(virtual|pool|node|snat-translation)(?:\/([^/]+))?\/stats$/;

/** Every object of a stats kind with its entries, or one of them; throws the object's 404. */
function statsOf(config: LtmConfig, store: StatsStore, collection: string, ref: ObjectRef | undefined): { kind: StatsKind; objects: Array<{ ref: ObjectRef; entries: StatEntries }> } {
  switch (collection) {
    case 'virtual': {
      const records = ref ? [findObject(config, VIRTUAL_SERVER, ref)] : [...objectsOf(config, VIRTUAL_SERVER.mgmtPath).values()];
      return { kind: VIRTUAL_STATS, objects: records.map((record) => ({ ref: record, entries: virtualStatEntries(store, record) })) };
    }
    case 'pool': {
      const pools = ref ? [findPool(config, ref)] : [...config.pools.values()];
      return { kind: POOL_STATS, objects: pools.map((pool) => ({ ref: pool, entries: poolStatEntries(store, pool) })) };
    }
    case 'node': {
      const nodes = ref ? [findNode(config, ref)] : [...config.nodes.values()];
      return { kind: NODE_STATS, objects: nodes.map((node) => ({ ref: node, entries: nodeStatEntries(store, node) })) };
    }
    default: {
      const records = ref ? [findObject(config, SNAT_TRANSLATION, ref)] : [...objectsOf(config, SNAT_TRANSLATION.mgmtPath).values()];
      return { kind: SNAT_TRANSLATION_STATS, objects: records.map((record) => ({ ref: record, entries: snatTranslationStatEntries(store, record) })) };
    }
  }
}

/** Handles a stats path, or returns undefined for anything else. Stats are read-only. */
export function statsRoute(config: LtmConfig, store: StatsStore, method: string, path: string): LtmReply | undefined {
  const match = STATS_PATH.exec(path);
  if (!match) return undefined;
  if (method !== 'GET') throw rest.methodNotAllowed(method, path, ['GET']);
  const ref = match[2] === undefined ? undefined : parseUrlSegment(match[2]);
  const { kind, objects } = statsOf(config, store, match[1]!, ref);
  return { status: 200, body: ref ? renderObjectStats(kind, objects[0]!.ref, objects[0]!.entries) : renderCollectionStats(kind, objects) };
}

/** The stats kind of a stand-in control path segment ("virtual", "snat-translation", ...). */
export function statsKindNamed(collection: string): StatsKind | undefined {
  return { virtual: VIRTUAL_STATS, pool: POOL_STATS, node: NODE_STATS, 'snat-translation': SNAT_TRANSLATION_STATS }[collection];
}
