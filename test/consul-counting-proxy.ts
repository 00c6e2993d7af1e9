// A counting HTTP front for one Consul stand-in: each daemon gets its own front (its own port), so the requests one
// daemon makes are counted apart from the others' (the stand-in counts only by path, and only in its own process).
// stop() closes the listener and every connection, as the agent going down would (clients see ECONNREFUSED);
// start() listens on the same port again.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class CountingProxy {
  /** Requests by "METHOD /path" (query excluded). */
  readonly byRoute = new Map<string, number>();
  total = 0;
  /** Requests carrying ?index= (blocking queries). */
  blocking = 0;
  /** Blocking queries open now (sent on, not yet answered): a watcher parked at Consul. */
  blockingOpen = 0;
  private server?: http.Server;
  private agent = new http.Agent({ keepAlive: true });
  port = 0;

  constructor(private readonly upstreamPort: () => number, port = 0) {
    this.port = port;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const route = `${req.method} ${url.pathname}`;
      this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
      this.total++;
      if (url.searchParams.has('index')) {
        this.blocking++;
        this.blockingOpen++;
        res.once('close', () => this.blockingOpen--);
      }
      const upstream = http.request({ host: '127.0.0.1', port: this.upstreamPort(), method: req.method, path: req.url, headers: req.headers, agent: this.agent }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true });
    await closed;
  }

  reset(): void {
    this.byRoute.clear();
    this.total = 0;
    this.blocking = 0;
  }

  routes(): Record<string, number> {
    return Object.fromEntries([...this.byRoute].sort((a, b) => b[1] - a[1]));
  }
}
