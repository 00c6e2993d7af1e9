// /mgmt/tm/net/tunnels/{gre,ipip}: the built-in encapsulation profiles bigip_pool_member reads on every update.
import { selfLink } from './bigip-version';
import { rest } from './errors';
import type { LtmReply } from './ltm-routes';

/** The encapsulation profiles a fresh BIG-IP ships per tunnel type. */
const TUNNEL_PROFILES: Readonly<Record<string, readonly string[]>> = {
  gre: ['gre', 'nvgre'],
  ipip: ['ipip', 'ip4ip4', 'ip4ip6', 'ip6ip4', 'ip6ip6'],
};

export function netRoute(method: string, path: string): LtmReply {
  const match = /^\/mgmt\/tm\/net\/tunnels\/(gre|ipip)$/.exec(path);
  if (!match) throw rest.uriNotRegistered(path);
  if (method !== 'GET') throw rest.methodNotAllowed(method, path, ['GET']);
  const type = match[1]!;
  const items = TUNNEL_PROFILES[type]!.map((name) => ({
    kind: `tm:net:tunnels:${type}:${type}state`,
    name,
    partition: 'Common',
    fullPath: `/Common/${name}`,
    generation: 1,
    selfLink: selfLink(`/mgmt/tm/net/tunnels/${type}/~Common~${name}`),
    defaultsFrom: name === type ? 'none' : `/Common/${type}`,
  }));
  return { status: 200, body: { kind: `tm:net:tunnels:${type}:${type}collectionstate`, selfLink: selfLink(`/mgmt/tm/net/tunnels/${type}`), items } };
}
