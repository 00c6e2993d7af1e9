// core's Engine API transport against a fake engine on a unix socket: the path with its version prefix, the query
// as the Engine API reads it, a JSON body, an engine error with its status and message, and the idle timeout.

import { expect } from 'chai';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineHttp, EngineHttpError, engineQueryString } from '../src';

describe('core: EngineHttp (the Docker Engine API over node:http)', () => {
  let dir: string;
  let server: http.Server;
  const seen: { method?: string; url?: string; body: string; type?: string }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'core-engine-'));
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, type: req.headers['content-type'] });
        if (req.url?.startsWith('/v1.41/containers/gone/json')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'No such container: gone' }));
        } else if (req.url?.startsWith('/v1.41/slow')) {
          // never answers: the idle timeout ends it
        } else if (req.url?.startsWith('/v1.41/empty')) {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'docker.sock'), resolve));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const engine = () => new EngineHttp({ kind: 'unix', socketPath: join(dir, 'docker.sock') }, { version: 'v1.41' });

  it('encodes a query as the Engine API reads it: filters as JSON, booleans 1/0, undefined left out', () => {
    expect(engineQueryString({ all: true, v: false, limit: 3, none: undefined, filters: { label: ['a=b'] } }))
      .to.equal(`?all=1&v=0&limit=3&filters=${encodeURIComponent('{"label":["a=b"]}')}`);
    expect(engineQueryString({})).to.equal('');
  });

  it('sends the version prefix, the query and a JSON body; answers the JSON', async () => {
    const e = engine();
    expect(await e.json('/services/web/update', { method: 'POST', query: { version: 7 }, body: { Name: 'web' } })).to.deep.equal({ ok: true });
    expect(seen.at(-1)).to.deep.equal({ method: 'POST', url: '/v1.41/services/web/update?version=7', body: '{"Name":"web"}', type: 'application/json' });
    expect(await e.json('/empty', { method: 'DELETE' }), 'an empty 2xx body').to.equal(undefined);
    e.close();
  });

  it("an engine error keeps its status and the engine's own message", async () => {
    const err = await engine().json('/containers/gone/json').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EngineHttpError);
    expect((err as EngineHttpError).statusCode).to.equal(404);
    expect((err as EngineHttpError).message).to.equal('(HTTP code 404) GET /containers/gone/json: No such container: gone');
    expect((err as EngineHttpError).json).to.deep.equal({ message: 'No such container: gone' });
  });

  it('an engine that never answers fails after the idle timeout, naming the call', async () => {
    const err = await engine().json('/slow', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('GET /slow: no answer from the Docker engine within 200 ms');
  });
});
