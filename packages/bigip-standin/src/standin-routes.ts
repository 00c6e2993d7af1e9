// The stand-in's own endpoints under /standin/ (no auth, not logged): faults, request counters, state, traffic.
import { FaultSpecError, parseFaultSpec } from './faults';
import { IcrError } from './errors';
import type { StandinCore } from './standin-core';

export interface StandinReply {
  status: number;
  body: unknown;
}

function badRequest(message: string): StandinReply {
  return { status: 400, body: { error: message } };
}

/**
 * GET    /standin/state                       snapshot of pools, members, nodes, transactions
 * POST   /standin/reset                       empty the box (config, tokens, transactions, faults, log)
 * GET    /standin/requests                    { counters, log } of /mgmt requests
 * DELETE /standin/requests                    reset the request log and counters
 * GET    /standin/faults                      active faults
 * POST   /standin/faults                      { status, requests? | seconds?, methods?, pathPrefix? }
 * DELETE /standin/faults                      clear faults
 * POST   /standin/tokens/expire               expire every auth token now
 * GET    /standin/traffic/~Common~pool        who receives new connections now
 * PUT    /standin/monitor/~Common~pool/members/~Common~10.0.0.1:80   { "status": "up" | "down" }
 * PATCH  /standin/stats/virtual/~Common~vs    { "clientside.curConns": 1200, ... }  (also pool, node, snat-translation)
 */
export function handleStandinRequest(core: StandinCore, method: string, path: string, body: unknown): StandinReply {
  const segments = path.split('/').filter(Boolean).slice(1);
  const route = `${method} ${segments[0] ?? ''}`;
  try {
    switch (route) {
      case 'GET state':
        return { status: 200, body: core.snapshot() };
      case 'POST reset':
        core.reset();
        return { status: 200, body: { reset: true } };
      case 'GET requests':
        return { status: 200, body: { counters: core.log.snapshot(), log: core.log.entries() } };
      case 'DELETE requests':
        core.log.reset();
        return { status: 200, body: { reset: true } };
      case 'GET faults':
        return { status: 200, body: { faults: core.faults.active() } };
      case 'POST faults':
        core.faults.add(parseFaultSpec(body));
        return { status: 200, body: { faults: core.faults.active() } };
      case 'DELETE faults':
        core.faults.clear();
        return { status: 200, body: { faults: [] } };
      case 'POST tokens':
        if (segments[1] !== 'expire') break;
        core.tokens.expireAll();
        return { status: 200, body: { expired: true } };
      case 'GET traffic':
        if (segments.length !== 2) break;
        return { status: 200, body: core.traffic(segments[1]!) };
      case 'PATCH stats': {
        if (segments.length !== 3) break;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('body must be an object of statistic: value');
        core.setStats(segments[1]!, segments[2]!, body as Record<string, unknown>);
        return { status: 200, body: { stats: core.statsOf(segments[1]!, segments[2]!) } };
      }
      case 'PUT monitor': {
        if (segments.length !== 4 || segments[2] !== 'members') break;
        const status = (body as { status?: unknown } | undefined)?.status;
        if (status !== 'up' && status !== 'down') return badRequest(`status must be "up" or "down", got ${JSON.stringify(status)}`);
        core.setMonitorStatus(segments[1]!, segments[3]!, status);
        return { status: 200, body: core.traffic(segments[1]!) };
      }
    }
    return { status: 404, body: { error: `no stand-in endpoint ${method} ${path}` } };
  } catch (error) {
    if (error instanceof FaultSpecError) return badRequest(error.message);
    if (error instanceof IcrError) return { status: error.status, body: { error: error.message } };
    throw error;
  }
}
