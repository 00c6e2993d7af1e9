// A test's own writes to a Consul stand-in, sent from another loopback address than the daemon under test: the
// stand-in counts connections per client address (Consul's limits.http_max_conns_per_client), so the test's
// writes never count against the daemon's budget.

import http from 'node:http';

export const WRITER_ADDRESS = '127.0.0.2';

/** PUT `body` (JSON) from WRITER_ADDRESS; rejects on any status but 200, with Consul's text. */
export function putAsWriter(base: string, path: string, body: unknown, agent: http.Agent | false = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'PUT', agent, localAddress: WRITER_ADDRESS }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A catalog registration of instance `n` of `service` on node-<n>, with one service check of `status`. */
export function numberedRegistration(service: string, n: number, options: { status?: string; tags?: string[] } = {}): Record<string, unknown> {
  const node = `node-${n}`;
  return {
    Node: node,
    Address: `10.0.0.${n}`,
    Service: { ID: `${service}-${n}`, Service: service, Address: `10.1.${n}.1`, Port: 8000 + n, ...(options.tags ? { Tags: options.tags } : {}) },
    Check: { Node: node, CheckID: `check-${service}-${n}`, Name: 'alive', Status: options.status ?? 'passing', ServiceID: `${service}-${n}` },
  };
}
