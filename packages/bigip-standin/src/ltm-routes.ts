// Maps an /mgmt/tm/ltm request onto the config operations; shared by direct requests and transaction commits.
import { selfLink } from './bigip-version';
import { framework, rest } from './errors';
import { findPool, type LtmConfig } from './ltm-config';
import { createMember, deleteMember, findMember, renderMember, updateMember } from './members';
import { createNode, deleteNode, findNode, renderNode, updateNode } from './nodes';
import { createPool, deletePool, renderPool, updatePool } from './pools';
import { HTTP_MONITOR } from './http-monitors';
import { createObject, deleteObject, findObject, listObjects, renderObject, updateObject, type ObjectKind } from './ltm-objects';
import { parseUrlSegment, urlSegmentOf } from './names';
import { profileCollection, sipSessionCollection } from './profiles';
import { SNAT_TRANSLATION, SNATPOOL } from './snat-pools';
import { renderVirtualProfile, VIRTUAL_SERVER, type VirtualProfile } from './virtual-servers';

export interface LtmRequest {
  method: string;
  /** Decoded path, e.g. "/mgmt/tm/ltm/pool/~Common~web/members". */
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface LtmReply {
  status: number;
  /** undefined: an empty body (what DELETE returns). */
  body: unknown;
}

type Route = 'pools' | 'pool' | 'members' | 'member' | 'nodes' | 'node' | 'objects' | 'object' | 'virtualProfiles' | 'virtualProfile' | 'profiles';

const ALLOWED: Record<Route, readonly string[]> = {
  pools: ['GET', 'POST'],
  pool: ['GET', 'PUT', 'PATCH', 'DELETE'],
  members: ['GET', 'POST'],
  member: ['GET', 'PUT', 'PATCH', 'DELETE'],
  nodes: ['GET', 'POST'],
  node: ['GET', 'PUT', 'PATCH', 'DELETE'],
  objects: ['GET', 'POST'],
  object: ['GET', 'PUT', 'PATCH', 'DELETE'],
  virtualProfiles: ['GET'],
  virtualProfile: ['GET'],
  profiles: ['GET'],
};

/** The attribute-bag kinds, by the path under /mgmt/tm/ltm that names their collection. */
const OBJECT_KINDS: ReadonlyArray<readonly [string[], ObjectKind]> = [
  [['virtual'], VIRTUAL_SERVER],
  [['snatpool'], SNATPOOL],
  [['snat-translation'], SNAT_TRANSLATION],
  [['monitor', 'http'], HTTP_MONITOR],
];

interface ResolvedRoute {
  route: Route;
  /** The segments after the collection's own (for pools and nodes: after "pool"/"node", kept at index 1..). */
  segments: string[];
  kind?: ObjectKind;
}

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((segment, index) => segments[index] === segment);
}

/** Finds the route for a path and checks the method; throws 404/405 replies. Used at enlist time too. */
export function resolveLtmRoute(method: string, path: string): ResolvedRoute {
  const segments = path.replace(/^\/mgmt\/tm\/ltm\/?/, '').split('/').filter((segment) => segment !== '');
  let route: Route | undefined;
  let kind: ObjectKind | undefined;
  let tail = segments;
  if (segments[0] === 'pool') {
    route = (['pools', 'pool', 'members', 'member'] as const)[segments.length - 1];
    if (segments.length >= 3 && segments[2] !== 'members') route = undefined;
  } else if (segments[0] === 'node') {
    route = (['nodes', 'node'] as const)[segments.length - 1];
  } else if ((segments[0] === 'profile' && segments.length === 2) || segments.join('/') === 'message-routing/sip/profile/session') {
    route = 'profiles';
  } else {
    const match = OBJECT_KINDS.find(([prefix]) => startsWith(segments, prefix));
    if (match) {
      kind = match[1];
      // Keep the pool/node layout: index 0 the collection, 1 the object, 2.. its subcollections.
      tail = ['', ...segments.slice(match[0].length)];
      if (tail.length === 1) route = 'objects';
      else if (tail.length === 2) route = 'object';
      else if (kind === VIRTUAL_SERVER && tail[2] === 'profiles') route = tail.length === 3 ? 'virtualProfiles' : tail.length === 4 ? 'virtualProfile' : undefined;
    }
  }
  if (!route) throw rest.uriNotRegistered(path);
  if (!ALLOWED[route].includes(method)) throw rest.methodNotAllowed(method, path, ALLOWED[route]);
  return { route, segments: tail, ...(kind ? { kind } : {}) };
}

function collection(kind: string, mgmtPath: string, items: Record<string, unknown>[], query?: URLSearchParams): Record<string, unknown> {
  const page = query ? paging(query, items.length) : undefined;
  const shown = page ? items.slice(page.skip, page.skip + page.top) : items;
  // Like BIG-IP, an empty collection (or a page past the end) has no "items" at all.
  return {
    kind,
    selfLink: selfLink(mgmtPath),
    ...(page
      ? {
        currentItemCount: shown.length,
        itemsPerPage: page.top,
        pageIndex: Math.floor(page.skip / page.top) + 1,
        startIndex: page.skip + 1,
        totalItems: items.length,
        totalPages: Math.ceil(items.length / page.top),
      }
      : {}),
    ...(shown.length > 0 ? { items: shown } : {}),
  };
}

/** `$top`/`$skip` paging, as bigip_device_info reads collections (500 at a time until a page has no items). */
function paging(query: URLSearchParams, total: number): { top: number; skip: number } | undefined {
  const top = query.get('$top');
  const skip = query.get('$skip');
  if (top === null && skip === null) return undefined;
  const parse = (name: string, text: string | null, fallback: number) => {
    if (text === null) return fallback;
    if (!/^\d+$/.test(text)) throw rest.badQuery(name, text);
    return Number(text);
  };
  return { top: Math.max(1, parse('$top', top, Math.max(total, 1))), skip: parse('$skip', skip, 0) };
}

/** `$filter=partition eq Common`, the one filter clients use on LTM collections. */
function partitionFilter(query: URLSearchParams): ((item: { partition: string }) => boolean) {
  const match = /^partition\s+eq\s+(\S+)$/.exec(query.get('$filter') ?? '');
  return match ? (item) => item.partition === match[1] : () => true;
}

function project(object: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (!select) return object;
  return Object.fromEntries(select.filter((key) => key in object).map((key) => [key, object[key]]));
}

/** Applies `$select` to a single object or to each item of a collection. */
function applySelect(body: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  const selectText = query.get('$select');
  if (!selectText) return body;
  const select = selectText.split(',').map((key) => key.trim()).filter(Boolean);
  if (Array.isArray(body.items)) return { ...body, items: (body.items as Record<string, unknown>[]).map((item) => project(item, select)) };
  if (typeof body.kind === 'string' && body.kind.endsWith('collectionstate')) return body;
  return project(body, select);
}

/** Runs one request against `config` (mutating it); config errors are thrown as IcrError. */
export function executeLtm(config: LtmConfig, request: LtmRequest): LtmReply {
  const { method, query, body } = request;
  const { route, segments, kind } = resolveLtmRoute(method, request.path);
  const ok = (payload: Record<string, unknown>): LtmReply => ({ status: 200, body: applySelect(payload, query) });
  const deleted: LtmReply = { status: 200, body: undefined };
  const expand = query.get('expandSubcollections') === 'true';
  // ".../pool/<ref>/members/<subRef>" and ".../node/<ref>"
  const ref = parseUrlSegment(segments[1] ?? '');
  const subRef = parseUrlSegment(segments[3] ?? '');

  switch (route) {
    case 'pools': {
      if (method === 'POST') return ok(renderPool(createPool(config, body), expand));
      const pools = [...config.pools.values()].filter(partitionFilter(query));
      return ok(collection('tm:ltm:pool:poolcollectionstate', '/mgmt/tm/ltm/pool', pools.map((pool) => renderPool(pool, expand)), query));
    }
    case 'pool': {
      if (method === 'GET') return ok(renderPool(findPool(config, ref), expand));
      if (method === 'DELETE') {
        deletePool(config, ref);
        return deleted;
      }
      return ok(renderPool(updatePool(config, ref, body, method === 'PUT' ? 'put' : 'patch'), expand));
    }
    case 'members': {
      if (method === 'POST') {
        const created = createMember(config, ref, body);
        return ok(renderMember(created.pool, created.member));
      }
      const pool = findPool(config, ref);
      const items = pool.members.map((member) => renderMember(pool, member));
      return ok(collection('tm:ltm:pool:members:memberscollectionstate', `/mgmt/tm/ltm/pool/${urlSegmentOf(pool)}/members`, items));
    }
    case 'member': {
      if (method === 'GET') {
        const found = findMember(config, ref, subRef);
        return ok(renderMember(found.pool, found.member));
      }
      if (method === 'DELETE') {
        deleteMember(config, ref, subRef);
        return deleted;
      }
      const updated = updateMember(config, ref, subRef, body, method === 'PUT' ? 'put' : 'patch');
      return ok(renderMember(updated.pool, updated.member));
    }
    case 'nodes': {
      if (method === 'POST') return ok(renderNode(createNode(config, body)));
      const nodes = [...config.nodes.values()].filter(partitionFilter(query));
      return ok(collection('tm:ltm:node:nodecollectionstate', '/mgmt/tm/ltm/node', nodes.map(renderNode), query));
    }
    case 'node': {
      if (method === 'GET') return ok(renderNode(findNode(config, ref)));
      if (method === 'DELETE') {
        deleteNode(config, ref);
        return deleted;
      }
      return ok(renderNode(updateNode(config, ref, body, method === 'PUT' ? 'put' : 'patch')));
    }
    case 'objects': {
      if (method === 'POST') return ok(renderObject(config, kind!, createObject(config, kind!, body), expand));
      const records = listObjects(config, kind!).filter(partitionFilter(query));
      const collectionKind = kind!.kind.replace(/state$/, 'collectionstate');
      return ok(collection(collectionKind, kind!.mgmtPath, records.map((record) => renderObject(config, kind!, record, expand)), query));
    }
    case 'object': {
      if (method === 'GET') return ok(renderObject(config, kind!, findObject(config, kind!, ref), expand));
      if (method === 'DELETE') {
        deleteObject(config, kind!, ref);
        return deleted;
      }
      return ok(renderObject(config, kind!, updateObject(config, kind!, ref, body, method === 'PUT' ? 'put' : 'patch'), expand));
    }
    case 'virtualProfiles':
    case 'virtualProfile': {
      const virtual = findObject(config, VIRTUAL_SERVER, ref);
      const profiles = virtual.attributes.profiles as VirtualProfile[];
      const path = `/mgmt/tm/ltm/virtual/${urlSegmentOf(virtual)}/profiles`;
      if (route === 'virtualProfiles') {
        return ok(collection('tm:ltm:virtual:profiles:profilescollectionstate', path, profiles.map((profile) => renderVirtualProfile(virtual, profile)), query));
      }
      const profile = profiles.find((candidate) => candidate.partition === subRef.partition && candidate.name === subRef.name);
      if (!profile) throw framework.objectNotFound(`/${subRef.partition}/${subRef.name}`);
      return ok(renderVirtualProfile(virtual, profile));
    }
    case 'profiles': {
      const path = request.path.replace(/\/+$/, '');
      const body = path.endsWith('/message-routing/sip/profile/session') ? sipSessionCollection() : profileCollection(path.split('/').pop()!);
      if (!body) throw rest.uriNotRegistered(request.path);
      return ok(body);
    }
  }
}
