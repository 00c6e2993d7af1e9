// Contract: bad input answers with Consul's status and a plain-text body and never stops the
// server; ACLs answer 403 with Consul's texts.

import { expect } from 'chai';
import { Client, openTarget, realAgentAddress, Target, unique } from './support';
import { startConsulStandin } from '../src';

describe('consul-standin contract: bad input', function () {
  let target: Target;

  before(async () => {
    target = await openTarget();
  });

  after(async () => {
    await target.stop();
  });

  const key = () => `consul-standin-test/${unique('bad')}`;

  const table: { label: string; send: (t: Target) => Promise<import('./support').Reply>; status: number; realStatuses?: number[]; text: RegExp }[] = [
    {
      label: 'malformed JSON to service register',
      send: (t) => t.client.put('/v1/agent/service/register', '{"Name": "x",'),
      status: 400,
      text: /^Request decode failed: /,
    },
    {
      label: 'a wrong type in service register',
      send: (t) => t.client.put('/v1/agent/service/register', { Name: 'x', Port: 'eighty' }),
      status: 400,
      text: /^Request decode failed: /,
    },
    {
      label: 'a wrong type in check update',
      send: (t) => t.client.put('/v1/agent/check/update/whatever', { Status: 1 }),
      status: 400,
      text: /^Request decode failed: /,
    },
    {
      label: 'malformed JSON to session create',
      send: (t) => t.client.put('/v1/session/create', '{{'),
      status: 400,
      text: /^Request decode failed: /,
    },
    {
      label: 'an unknown path',
      send: (t) => t.client.get('/v1/no/such/endpoint'),
      status: 404,
      text: /^Invalid URL path: not a recognized HTTP API endpoint/,
    },
    {
      label: 'a wrong method on KV',
      send: (t) => t.client.request('POST', `/v1/kv/${key()}`, { body: 'x' }),
      status: 405,
      text: /^method POST not allowed$/,
    },
    {
      label: 'a wrong method on service register',
      send: (t) => t.client.get('/v1/agent/service/register'),
      status: 405,
      text: /^method GET not allowed$/,
    },
    {
      label: 'a KV value over 512 KiB',
      send: (t) => t.client.put(`/v1/kv/${key()}`, Buffer.alloc(512 * 1024 + 1, 0x61)),
      status: 413,
      text: /^Request body\(524289 bytes\) too large, max size: 524288 bytes/,
    },
    {
      label: 'a bad ?index=',
      send: (t) => t.client.get(`/v1/kv/${key()}?index=abc`),
      status: 400,
      text: /^Invalid index$/,
    },
    {
      label: 'a bad ?wait=',
      send: (t) => t.client.get(`/v1/kv/${key()}?index=1&wait=forever`),
      status: 400,
      text: /^Invalid wait time$/,
    },
    {
      label: 'a bad ?filter= expression',
      send: (t) => t.client.get(`/v1/agent/services?filter=${encodeURIComponent('Service ==')}`),
      status: 400,
      // Consul answers some filter errors with 500, depending on the endpoint and version.
      realStatuses: [400, 500],
      text: /^Failed to create boolean expression evaluator: /,
    },
  ];

  for (const row of table) {
    it(`${row.label}: ${row.status} with a plain-text body, and the server still answers`, async () => {
      const reply = await row.send(target);
      if (target.real && row.realStatuses) expect(reply.status, reply.text).to.be.oneOf(row.realStatuses);
      else expect(reply.status, reply.text).to.equal(row.status);
      expect(reply.headers['content-type']).to.match(/^text\/plain/);
      expect(reply.text).to.match(row.text);
      const alive = await target.client.get('/v1/status/leader');
      expect(alive.status).to.equal(200);
      expect(alive.json()).to.match(/:\d+$/);
    });
  }

  it('answers 405 with an Allow header listing the methods', async () => {
    const reply = await target.client.request('POST', `/v1/kv/${key()}`);
    expect(reply.headers.allow).to.contain('GET').and.contain('PUT').and.contain('DELETE');
  });

  it('survives garbage on the socket and a request aborted mid-body', async () => {
    const { port, hostname } = new URL(target.client.baseUrl);
    const net = await import('node:net');
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), hostname, () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), hostname, () => {
        socket.write(`PUT /v1/kv/${key()} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial`);
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    expect((await target.client.get('/v1/status/leader')).status).to.equal(200);
  });
});

describe('consul-standin contract: ACLs', function () {
  let client: Client;
  let stop: () => Promise<void> = async () => undefined;
  const token = process.env.CONSUL_HTTP_TOKEN || 'standin-management-token';

  before(async function () {
    if (realAgentAddress()) {
      if (!process.env.CONSUL_HTTP_TOKEN) {
        this.skip();
        return;
      }
      const target = await openTarget();
      client = target.client;
      return;
    }
    const standin = await startConsulStandin({ managementToken: token });
    client = new Client(standin.url, token);
    stop = () => standin.stop();
  });

  after(async () => {
    await stop();
  });

  it('a request without a token is denied: 403 "Permission denied ..."', async () => {
    const reply = await client.put(`/v1/kv/consul-standin-test/${unique('acl')}`, 'x', { token: null });
    expect(reply.status).to.equal(403);
    expect(reply.headers['content-type']).to.match(/^text\/plain/);
    expect(reply.text).to.match(/^Permission denied/);
  });

  it('a request with an unknown token is denied: 403 "ACL not found"', async () => {
    const reply = await client.get(`/v1/kv/consul-standin-test/${unique('acl')}`, { token: 'not-a-real-token' });
    expect(reply.status).to.equal(403);
    expect(reply.text).to.equal('ACL not found');
    const bearer = await client.get('/v1/agent/self', { token: null, headers: { Authorization: 'Bearer not-a-real-token' } });
    expect(bearer.status).to.equal(403);
  });

  it('the management token passes, by X-Consul-Token or Authorization: Bearer', async () => {
    const key = `consul-standin-test/${unique('acl')}`;
    expect((await client.put(`/v1/kv/${key}`, 'x')).status).to.equal(200);
    const bearer = await client.get(`/v1/kv/${key}`, { token: null, headers: { Authorization: `Bearer ${token}` } });
    expect(bearer.status).to.equal(200);
    expect((await client.delete(`/v1/kv/${key}`)).status).to.equal(200);
    expect((await client.put('/v1/agent/service/register', { Name: 'x' }, { token: null })).status).to.equal(403);
  });
});
