// The datacenters a server can reach: its own and the federated ones (each told the other's
// address), and which server answers a request carrying ?dc=.

import { internal } from './errors';

export class Federation {
  private readonly peers = new Map<string, string>();

  constructor(readonly local: string) {}

  /** Federates with another datacenter's server ("host:port" or a URL). */
  join(datacenter: string, address: string): void {
    if (datacenter === this.local) throw new Error(`datacenter "${datacenter}" is this server's own`);
    if (!datacenter) throw new Error('datacenter: must not be empty');
    this.peers.set(datacenter, normaliseBaseUrl(address));
  }

  leave(datacenter: string): void {
    this.peers.delete(datacenter);
  }

  /** /v1/catalog/datacenters: Consul sorts by round-trip time, so the local one comes first. */
  datacenters(): string[] {
    return [this.local, ...[...this.peers.keys()].sort()];
  }

  /** The server URL of another datacenter; Consul's "No path to datacenter" (500) for an unknown one. */
  urlOf(datacenter: string): string {
    const url = this.peers.get(datacenter);
    if (!url) throw internal('No path to datacenter');
    return url;
  }
}

export function normaliseBaseUrl(address: string): string {
  const withScheme = /^https?:\/\//.test(address) ? address : `http://${address}`;
  return withScheme.replace(/\/+$/, '');
}
