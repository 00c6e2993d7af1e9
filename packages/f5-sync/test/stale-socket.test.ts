// The iControl client resends a request once when the kept-alive socket it reused was closed under it (the BIG-IP's
// httpd closes idle connections): here a plain-HTTP server that drops every connection at its second request.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { IcontrolClient } from '../src/target/bigip/icontrol-client';
import { isStaleSocketReset } from '../src/target/bigip/icontrol-errors';

describe('iControl client: stale kept-alive sockets', () => {
  it('tells a reset of a reused socket from other failures', () => {
    expect(isStaleSocketReset({ code: 'ECONNRESET', request: { reusedSocket: true } })).to.equal(true);
    expect(isStaleSocketReset({ code: 'ERR_BAD', message: 'socket hang up', request: { reusedSocket: true } })).to.equal(true);
    expect(isStaleSocketReset({ code: 'ECONNRESET', request: { reusedSocket: false } })).to.equal(false);
    expect(isStaleSocketReset({ code: 'ETIMEDOUT', request: { reusedSocket: true } })).to.equal(false);
    expect(isStaleSocketReset(undefined)).to.equal(false);
  });

  it('a request on a reused socket the server closed is sent once more, on a new connection', async () => {
    const perSocket = new WeakMap<object, number>();
    let answered = 0;
    const server = http.createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n >= 2) {
        req.socket.destroy();
        return;
      }
      answered++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ entries: { x: { nestedStats: { entries: { Version: { description: '17.1.0' } } } } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new IcontrolClient({ url: `http://127.0.0.1:${port}`, username: 'u', password: 'p', auth: 'basic', maxConcurrent: 1, retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
    try {
      expect(await client.version()).to.equal('17.1.0');
      // Same socket again (one slot): the server drops it; the client resends on a fresh one. No retry budget is used.
      expect(await client.version()).to.equal('17.1.0');
      expect(client.staleSocketRetries).to.equal(1);
      expect(answered).to.equal(2);
    } finally {
      await client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
