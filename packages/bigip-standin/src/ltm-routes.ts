// Maps an /mgmt/tm/ltm request onto the config operations; shared by direct requests and transaction commits.
import { selfLink } from './bigip-version';
import { rest } from './errors';
import { findPool, type LtmConfig } from './ltm-config';
import { createMember, deleteMember, findMember, renderMember, updateMember } from './members';
import { createNode, deleteNode, findNode, renderNode, updateNode } from './nodes';
import { createPool, deletePool, renderPool, updatePool } from './pools';
import { parseUrlSegment, urlSegmentOf } from './names';

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

type Route = 'pools' | 'pool' | 'members' | 'member' | 'nodes' | 'node';

const ALLOWED: Record<Route, readonly string[]> = {
  pools: ['GET', 'POST'],
  pool: ['GET', 'PUT', 'PATCH', 'DELETE'],
  members: ['GET', 'POST'],
  member: ['GET', 'PUT', 'PATCH', 'DELETE'],
  nodes: ['GET', 'POST'],
  node: ['GET', 'PUT', 'PATCH', 'DELETE'],
};

interface ResolvedRoute {
  route: Route;
  segments: string[];
}

/** Finds the route for a path and checks the method; throws 404/405 replies. Used at enlist time too. */
export function resolveLtmRoute(method: string, path: string): ResolvedRoute {
  const segments = path.replace(/^\/mgmt\/tm\/ltm\/?/, '').split('/').filter((segment) => segment !== '');
  let route: Route | undefined;
  if (segments[0] === 'pool') {
    route = (['pools', 'pool', 'members', 'member'] as const)[segments.length - 1];
    if (segments.length >= 3 && segments[2] !== 'members') route = undefined;
  } else if (segments[0] === 'node') {
    route = (['nodes', 'node'] as const)[segments.length - 1];
  }
  if (!route) throw rest.uriNotRegistered(path);
  if (!ALLOWED[route].includes(method)) throw rest.methodNotAllowed(method, path, ALLOWED[route]);
  return { route, segments };
}

function collection(kind: string, mgmtPath: string, items: Record<string, unknown>[]): Record<string, unknown> {
  // Like BIG-IP, an empty collection has no "items" at all.
  return { kind, selfLink: selfLink(mgmtPath), ...(items.length > 0 ? { items } : {}) };
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
  const { route, segments } = resolveLtmRoute(method, request.path);
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
      return ok(collection('tm:ltm:pool:poolcollectionstate', '/mgmt/tm/ltm/pool', pools.map((pool) => renderPool(pool, expand))));
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
      return ok(collection('tm:ltm:node:nodecollectionstate', '/mgmt/tm/ltm/node', nodes.map(renderNode)));
    }
    case 'node': {
      if (method === 'GET') return ok(renderNode(findNode(config, ref)));
      if (method === 'DELETE') {
        deleteNode(config, ref);
        return deleted;
      }
      return ok(renderNode(updateNode(config, ref, body, method === 'PUT' ? 'put' : 'patch')));
    }
  }
}
