// The HTTP(S) front: reads requests, applies faults, authenticates, routes /mgmt and /standin, logs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, login, parseTokenTimeout, renderToken } from './auth';
import { framework, IcrError, rest } from './errors';
import { RESTARTING_PAGE } from './faults';
import { cloneConfig, settleDraft, type LtmConfig } from './ltm-config';
import { executeLtm, resolveLtmRoute, type LtmReply } from './ltm-routes';
import type { StandinCore } from './standin-core';
import { netRoute } from './net-routes';
import { partitionRoute } from './partitions';
import { handleStandinRequest } from './standin-routes';
import { statsRoute } from './stats-routes';
import { sysRoute } from './sys-routes';
import { handleTransactionRequest } from './transaction-routes';
import { renderCommand } from './transactions';

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json; charset=UTF-8';

interface MgmtRequest {
  method: string;
  /** Decoded, without a trailing slash (F5's modules POST to ".../ltm/pool/"). */
  path: string;
  query: URLSearchParams;
  rawBody: string;
  incoming: IncomingMessage;
  sender: string;
  coordinationId: string | undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(rest.bodyTooLarge());
        request.destroy();
      } else {
        chunks.push(chunk);
      }
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(rawBody: string): unknown {
  if (rawBody.trim() === '') return undefined;
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    throw framework.invalidJson();
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function tokenRoute(core: StandinCore, request: MgmtRequest, token: string): LtmReply {
  const record = core.tokens.lookup(token);
  if (!record) throw framework.objectNotFound(`/shared/authz/tokens/${token}`);
  switch (request.method) {
    case 'GET':
      return { status: 200, body: renderToken(record) };
    case 'PATCH':
      return { status: 200, body: renderToken(core.tokens.setTimeout(record, parseTokenTimeout(parseJson(request.rawBody)))) };
    case 'DELETE':
      core.tokens.revoke(token);
      return { status: 200, body: renderToken(record) };
    default:
      throw rest.methodNotAllowed(request.method, request.path);
  }
}

/** Runs a configuration write on a draft that replaces the live config only if it succeeds. */
function atomically(core: StandinCore, write: (config: LtmConfig) => LtmReply): LtmReply {
  const draft = cloneConfig(core.config);
  const reply = write(draft);
  core.config = settleDraft(draft);
  return reply;
}

function ltmRoute(core: StandinCore, request: MgmtRequest): LtmReply {
  const { method, path, query } = request;
  const stats = statsRoute(core.config, core.stats, method, path);
  if (stats) return stats;
  const body = parseJson(request.rawBody);
  if (request.coordinationId !== undefined && method !== 'GET') {
    // Enlisted: queued for the commit, answered with the queued command, not the object.
    resolveLtmRoute(method, path);
    const { transaction, command } = core.transactions.enlist(request.coordinationId, { method, path, query: query.toString(), body });
    return { status: 200, body: renderCommand(transaction, command) };
  }
  if (method === 'GET') return executeLtm(core.config, { method, path, query, body });
  // One request is atomic too: a failed pool PUT must not leave half its members behind.
  return atomically(core, (draft) => executeLtm(draft, { method, path, query, body }));
}

function mgmtRoute(core: StandinCore, request: MgmtRequest): LtmReply {
  const { method, path } = request;
  if (path === '/mgmt/shared/authn/login') {
    if (method !== 'POST') throw rest.methodNotAllowed(method, path);
    return { status: 200, body: login(parseJson(request.rawBody), core.settings.credentials, core.tokens, request.sender) };
  }
  const uri = `http://localhost:8100${path}`;
  authenticate(request.incoming.headers, core.settings.credentials, core.tokens, uri, request.sender);

  const tokenMatch = /^\/mgmt\/shared\/authz\/tokens\/([^/]+)$/.exec(path);
  if (tokenMatch) return tokenRoute(core, request, tokenMatch[1]!);
  if (path === '/mgmt/tm/sys' || path.startsWith('/mgmt/tm/sys/')) {
    const body = parseJson(request.rawBody);
    return method === 'GET' ? sysRoute(core.config, method, path, body) : atomically(core, (draft) => sysRoute(draft, method, path, body));
  }
  if (path.startsWith('/mgmt/tm/net/')) return netRoute(method, path);
  if (path === '/mgmt/tm/auth/partition' || path.startsWith('/mgmt/tm/auth/partition/')) {
    const body = parseJson(request.rawBody);
    return method === 'GET' ? partitionRoute(core.config, method, path, body) : atomically(core, (draft) => partitionRoute(draft, method, path, body));
  }
  if (path === '/mgmt/tm/transaction' || path.startsWith('/mgmt/tm/transaction/')) {
    return handleTransactionRequest(core.transactions, core, { method, path, body: parseJson(request.rawBody), coordinationId: request.coordinationId });
  }
  if (path.startsWith('/mgmt/tm/ltm/')) return ltmRoute(core, request);
  throw rest.uriNotRegistered(path);
}

function faultReply(response: ServerResponse, status: number, sender: string, operationId: number): void {
  if (status === 503) {
    response.writeHead(503, { 'Content-Type': 'text/html; charset=iso-8859-1', 'Content-Length': Buffer.byteLength(RESTARTING_PAGE) });
    response.end(RESTARTING_PAGE);
    return;
  }
  send(response, status, new IcrError(status, 'Internal Server Error (injected by bigip-standin)', 0, true).toBody(operationId, sender));
}

/** Builds the request listener for one stand-in. */
export function createRequestHandler(core: StandinCore): (request: IncomingMessage, response: ServerResponse) => void {
  let restOperationId = 0;
  return (incoming, response) => {
    const url = new URL(incoming.url ?? '/', 'https://localhost');
    let sentPath: string;
    try {
      sentPath = decodeURIComponent(url.pathname);
    } catch {
      sentPath = url.pathname;
    }
    // restjavad routes ".../pool/" like ".../pool" (F5's modules POST to the slash form).
    const path = sentPath.length > 1 ? sentPath.replace(/\/+$/, '') : sentPath;
    const method = (incoming.method ?? 'GET').toUpperCase();
    const sender = (incoming.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const coordinationHeader = incoming.headers['x-f5-rest-coordination-id'];
    const coordinationId = typeof coordinationHeader === 'string' ? coordinationHeader : undefined;
    const operationId = ++restOperationId;

    void (async () => {
      let status = 500;
      try {
        const rawBody = await readBody(incoming);
        if (path === '/standin' || path.startsWith('/standin/')) {
          let body: unknown;
          try {
            body = parseJson(rawBody);
          } catch {
            send(response, 400, { error: 'invalid JSON body' });
            return;
          }
          const reply = handleStandinRequest(core, method, path, body);
          send(response, reply.status, reply.body);
          return;
        }
        const injected = core.faults.take(method, path);
        if (injected !== undefined) {
          status = injected;
          faultReply(response, injected, sender, operationId);
        } else {
          const reply = mgmtRoute(core, { method, path, query: url.searchParams, rawBody, incoming, sender, coordinationId });
          status = reply.status;
          send(response, reply.status, reply.body);
        }
      } catch (error) {
        const failure = error instanceof IcrError ? error : rest.internalError(error instanceof Error ? error.message : String(error));
        status = failure.status;
        const headers: Record<string, string> = {
          ...(failure.status === 401 ? { 'WWW-Authenticate': 'Basic realm="Enterprise Manager"' } : {}),
          ...(failure.allow ? { Allow: failure.allow.join(', ') } : {}),
        };
        if (!response.headersSent) send(response, failure.status, failure.toBody(operationId, sender), headers);
      } finally {
        if (path.startsWith('/mgmt')) {
          core.log.record({ method, path, query: url.search.replace(/^\?/, ''), status, ...(coordinationId === undefined ? {} : { transId: coordinationId }) });
        }
      }
    })();
  };
}
