// Consul instances -> the peers nginx's Lua balancer uses (no reload mode). Pure: the runner feeds it what a
// template passed to pushUpstream() and pushes the answer.

import { isIP } from 'node:net';
import type { ServiceInstance } from '../observe';

/** One upstream member as the push endpoint (lua/consul_sidecars/upstreams.lua) validates it. */
export interface UpstreamPeer {
  address: string;
  port: number;
  weight: number;
  /** Gets traffic only when no primary peer is left (a slave/backup role, as the static template's `backup`). */
  backup: boolean;
  /** Listed but never picked (a critical instance rendered with status "any"). */
  down: boolean;
}

/** Roles that make a peer a backup, as the static nginx template maps them. */
export const BACKUP_ROLES: readonly string[] = ['slave', 'backup'];
/** The Lua endpoint's bounds. */
export const MAX_PEER_WEIGHT = 1000;
export const MAX_PEERS = 1000;

export type PeerRejectListener = (instance: ServiceInstance, reason: string) => void;

function peerWeight(instance: ServiceInstance): number {
  const raw = instance.Status === 'warning' ? instance.Weights.Warning : instance.Weights.Passing;
  if (!Number.isFinite(raw)) return 1;
  return Math.min(MAX_PEER_WEIGHT, Math.max(0, Math.floor(raw)));
}

export function peerKey(peer: Pick<UpstreamPeer, 'address' | 'port'>): string {
  return isIP(peer.address) === 6 ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

/**
 * The peers of one upstream, sorted by address and port (so equal membership compares equal). Instances whose
 * address is a host name are dropped (the balancer phase cannot resolve names) and reported; a weight of 0 (Consul's
 * Weights.Warning may be 0 to take warning instances out) and a critical status make the peer `down`.
 */
export function peersFromInstances(instances: readonly ServiceInstance[], onReject?: PeerRejectListener): UpstreamPeer[] {
  const byKey = new Map<string, UpstreamPeer>();
  for (const instance of instances) {
    if (isIP(instance.Address) === 0) {
      onReject?.(instance, `address ${instance.Address} is not an IP address (the Lua balancer cannot resolve names)`);
      continue;
    }
    const weight = peerWeight(instance);
    const peer: UpstreamPeer = {
      address: instance.Address,
      port: instance.Port,
      weight: Math.max(1, weight),
      backup: instance.Role !== undefined && BACKUP_ROLES.includes(instance.Role),
      down: instance.Status === 'critical' || weight === 0,
    };
    const key = peerKey(peer);
    // The same address:port registered twice (two IDs, or two nodes): one peer, up if either copy is.
    const seen = byKey.get(key);
    if (seen) {
      seen.down = seen.down && peer.down;
      seen.backup = seen.backup && peer.backup;
      continue;
    }
    byKey.set(key, peer);
  }
  const peers = [...byKey.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
  return peers.slice(0, MAX_PEERS);
}

/** Peers that can take traffic. */
export function usablePeers(peers: readonly UpstreamPeer[]): number {
  return peers.filter((p) => !p.down).length;
}

/** A stable text of a peer list: what was confirmed pushed is compared by it. */
export function peersDigest(peers: readonly UpstreamPeer[]): string {
  return JSON.stringify(peers.map((p) => [p.address, p.port, p.weight, p.backup ? 1 : 0, p.down ? 1 : 0]));
}
