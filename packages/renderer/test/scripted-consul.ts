// A scripted Consul HTTP endpoint for tests (not a test file): each request is answered by the test's function or
// parked (a blocking query with nothing new) until `wake()`; every request URL is recorded.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ScriptedAnswer {
  index: number;
  body: unknown;
  status?: number;
}

export class ScriptedConsul {
  readonly requests: URL[] = [];
  private readonly parked: { url: URL; res: ServerResponse }[] = [];
  private server?: Server;

  /** `answer` returns what to send, or 'park' to hold the request until the next `wake()`. */
  constructor(private readonly answer: (url: URL) => ScriptedAnswer | 'park') {}

  /** Listens on a free loopback port; answers the port. */
  async start(): Promise<number> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://consul');
      this.requests.push(url);
      this.reply(url, res);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the scripted Consul has no port');
    return address.port;
  }

  /** Answers the parked requests again (after the test changed what `answer` returns). */
  wake(): void {
    for (const { url, res } of this.parked.splice(0)) this.reply(url, res);
  }

  async stop(): Promise<void> {
    for (const { res } of this.parked.splice(0)) res.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private reply(url: URL, res: ServerResponse): void {
    const answer = this.answer(url);
    if (answer === 'park') {
      this.parked.push({ url, res });
      return;
    }
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', 'x-consul-index': String(answer.index) });
    res.end(JSON.stringify(answer.body));
  }
}
