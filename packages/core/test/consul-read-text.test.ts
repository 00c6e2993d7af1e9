// A read that parses the answer's text (ConsulRead.parseText) against a scripted HTTP server: it gets the text as
// sent, an empty or accepted-404 answer still goes to parse(null), and a body that is not JSON or does not fit fails
// with the very errors of a read that parses a JSON value.

import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsulHttpClient, consulSettingsFromEnv, ERR_CONSUL_HTTP, ERR_CONSUL_PAYLOAD, Fields, mapRead, type ConsulRead } from '../src';
import { nodeInstancesRead } from '../src/consul/service-change-feed-nodes';
import { consulNodeAnswer } from './node-instances-bodies';

/** Answers every GET with this status and body text, as set at the time. */
async function textServer() {
  const answer = { status: 200, text: '' };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json', 'X-Consul-Index': '12', 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' });
      res.end(answer.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    answer,
    address: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A read of `{"N": <integer>}` that records which parser the client called. */
function countingRead(calls: string[]): ConsulRead<number | null> {
  const parse = (body: unknown): number | null => (body === null ? null : new Fields(body, '').int('N'));
  return {
    path: '/kv/n',
    notFoundIsEmpty: true,
    parse: (body) => {
      calls.push(`parse(${JSON.stringify(body)})`);
      return parse(body);
    },
    parseText: (text) => {
      calls.push(`parseText(${text})`);
      return parse(JSON.parse(text));
    },
  };
}

/** The error a promise rejects with, as code, status, message and details. */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: string; status?: number; message?: string; details?: Record<string, unknown> } | undefined;
  expect(err, 'an error').to.not.equal(undefined);
  return { code: err?.code, status: err?.status, message: err?.message, details: err?.details };
}

describe('core/consul: a read that parses the answer\'s text', () => {
  let server: Awaited<ReturnType<typeof textServer>>;
  let client: ConsulHttpClient;
  before(async () => {
    server = await textServer();
    client = new ConsulHttpClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: server.address }));
  });
  after(async () => {
    client.close();
    await server.close();
  });

  const cases: Array<{ name: string; status: number; text: string; value: number | null; calls: string[] }> = [
    { name: 'a 200 answer goes to parseText as sent', status: 200, text: ' {"N": 7}\n', value: 7, calls: ['parseText( {"N": 7}\n)'] },
    { name: 'an empty 200 answer goes to parse(null)', status: 200, text: '', value: null, calls: ['parse(null)'] },
    { name: 'a whitespace-only answer goes to parse(null)', status: 200, text: ' \n', value: null, calls: ['parse(null)'] },
    { name: 'an accepted 404 goes to parse(null), whatever its body', status: 404, text: 'no such key', value: null, calls: ['parse(null)'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      server.answer.status = c.status;
      server.answer.text = c.text;
      const calls: string[] = [];
      const answer = await client.blocking(countingRead(calls), { index: 3, wait: '1s' });
      expect(answer).to.deep.equal({ value: c.value, index: 12, knownLeader: true, lastContact: 0 });
      expect(calls).to.deep.equal(c.calls);
    });
  }

  it('a 404 it does not accept is the HTTP error, parsed by neither', async () => {
    server.answer.status = 404;
    server.answer.text = 'no such key';
    const calls: string[] = [];
    const err = await failure(client.blocking({ ...countingRead(calls), notFoundIsEmpty: false }));
    expect(err).to.include({ code: ERR_CONSUL_HTTP, status: 404 });
    expect(calls).to.deep.equal([]);
  });

  it('a body that is not JSON is the error a JSON-value read gets: ERR_CONSUL_HTTP "answer is not JSON" with the status', async () => {
    server.answer.status = 200;
    server.answer.text = '{"N": 7,}';
    const calls: string[] = [];
    const viaText = await failure(client.blocking(countingRead(calls)));
    const { parseText: _, ...valueRead } = countingRead([]);
    const viaValue = await failure(client.blocking(valueRead));
    expect(viaText).to.deep.equal(viaValue);
    expect(viaText).to.include({ code: ERR_CONSUL_HTTP, status: 200, message: 'GET /kv/n: answer is not JSON: {"N": 7,}' });
  });

  it('a field that does not fit is ERR_CONSUL_PAYLOAD naming the endpoint and the field, as from a JSON value', async () => {
    server.answer.status = 200;
    server.answer.text = '{"N": "seven"}';
    const viaText = await failure(client.blocking(countingRead([])));
    const { parseText: _, ...valueRead } = countingRead([]);
    expect(viaText).to.deep.equal(await failure(client.blocking(valueRead)));
    expect(viaText).to.include({ code: ERR_CONSUL_PAYLOAD, message: 'unexpected Consul answer: GET /v1/kv/n: N is "seven", expected an integer' });
    expect(viaText.details).to.include({ field: 'N', value: 'seven', endpoint: 'GET /v1/kv/n' });
  });

  it('mapRead transforms what parseText returns too', async () => {
    server.answer.status = 200;
    server.answer.text = '{"N": 7}';
    const calls: string[] = [];
    expect(await client.read(mapRead(countingRead(calls), (n) => (n ?? 0) * 2))).to.equal(14);
    expect(calls).to.deep.equal(['parseText({"N": 7})']);
  });

  it('nodeInstancesRead reads a node\'s answer as JSON.parse and the full parse do, and names a bad field with the endpoint', async () => {
    const read = nodeInstancesRead('node 1');
    server.answer.status = 200;
    server.answer.text = JSON.stringify(consulNodeAnswer(300));
    const value = await client.read(read);
    expect([...(value ?? [])]).to.deep.equal([...(read.parse(JSON.parse(server.answer.text)) ?? [])]);
    expect(value?.size).to.equal(300);
    server.answer.text = 'null';
    expect(await client.read(read)).to.equal(null);
    server.answer.text = '{"Services":{"web-1":{"ID":"web-1","Service":"web","ModifyIndex":-1.5}}}';
    const err = await failure(client.read(read));
    expect(err).to.include({ code: ERR_CONSUL_PAYLOAD, message: 'unexpected Consul answer: GET /v1/catalog/node/node%201: Services.web-1.ModifyIndex is -1.5, expected an integer' });
    expect(err.details).to.include({ field: 'Services.web-1.ModifyIndex', endpoint: 'GET /v1/catalog/node/node%201' });
  });
});
