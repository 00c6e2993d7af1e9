// A server's cluster routes: the internal ones its client agents call (heartbeat, anti-entropy
// sync, leave) and PUT /v1/agent/force-leave/:node.

import { ClusterMembers, Heartbeat } from './cluster-members';
import { parseNodeSync } from './catalog-write-endpoints';
import { badRequest } from './errors';
import { decodeBody } from './registration';
import { Route } from './router';

/** Where client agents reach their server; not part of Consul's API (Consul uses RPC and gossip). */
export const INTERNAL_PREFIX = '/v1/internal/standin';

export function clusterRoutes(members: ClusterMembers): Route[] {
  const operator = () => ({ resource: 'operator' as const, level: 'write' as const });
  return [
    {
      pattern: `${INTERNAL_PREFIX}/heartbeat`,
      methods: ['PUT'],
      acl: operator,
      handle: (ctx) => {
        const beat = decodeBody(ctx.body, 'Heartbeat', (fields): Heartbeat => ({
          node: fields.string('Node') ?? '',
          id: fields.string('ID') ?? '',
          address: fields.string('Address') ?? '',
          datacenter: fields.string('Datacenter') ?? '',
          version: fields.string('Version') ?? '',
          syncVersion: fields.string('SyncVersion') ?? '',
        }));
        if (!beat.node) throw badRequest('Heartbeat: Node must not be empty');
        if (!beat.address) throw badRequest(`Heartbeat: Address must not be empty (node ${beat.node})`);
        return { json: members.heartbeat(beat) };
      },
    },
    {
      pattern: `${INTERNAL_PREFIX}/sync`,
      methods: ['PUT'],
      acl: operator,
      handle: (ctx) => {
        members.sync(parseNodeSync(ctx.body));
        return { json: true };
      },
    },
    {
      pattern: `${INTERNAL_PREFIX}/leave`,
      methods: ['PUT'],
      acl: operator,
      handle: (ctx) => {
        const node = decodeBody(ctx.body, 'Leave', (fields) => fields.string('Node') ?? '');
        if (!node) throw badRequest('Leave: Node must not be empty');
        members.leave(node);
        return { json: true };
      },
    },
    {
      pattern: '/v1/agent/force-leave/',
      methods: ['PUT'],
      acl: operator,
      handle: (ctx) => {
        members.forceLeave(ctx.rest, ctx.query.has('prune'));
        return {};
      },
    },
  ];
}
