// One HTTP exchange with the BIG-IP over node:http(s) and a kept-alive agent: JSON out, JSON (or text) back.
// Plain node:https instead of axios: axios' config merging and transforms were 13% of an initial sync's CPU
// (~0.5 ms per call), more than the stand-in's own work per pool POST. No status is an error here; the client
// decides what each status means.

import http from 'node:http';
import https from 'node:https';

export interface HttpExchange {
  method: string;
  /** Path and query, appended to the base URL. */
  path: string;
  body?: unknown;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  /** Parsed JSON, or the text when the body is not JSON ('' when empty). */
  data: unknown;
}

export interface HttpExchangeOptions {
  baseUrl: string;
  agent: http.Agent | https.Agent;
  timeoutMs: number;
}

/** The body as the client reads it: JSON when it parses, the text otherwise (mcpd's 503 page is text). */
function parseBody(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Sends one request. A transport failure rejects with node's error, carrying `code` and `request` (whose
 * `reusedSocket` tells a stale kept-alive connection apart); a timeout rejects with code `ETIMEDOUT`,
 * an aborted signal with node's AbortError.
 */
export function exchangeHttp(options: HttpExchangeOptions, call: HttpExchange): Promise<HttpAnswer> {
  const url = new URL(options.baseUrl + call.path);
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const request = send(url, { method: call.method, headers, agent: options.agent, signal: call.signal, timeout: options.timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (err) => reject(Object.assign(err, { request })));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, data: parseBody(Buffer.concat(chunks).toString('utf8')) }));
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error(`timeout of ${options.timeoutMs}ms exceeded`), { code: 'ETIMEDOUT' })));
    request.on('error', (err) => reject(Object.assign(err, { request })));
    request.end(payload);
  });
}
