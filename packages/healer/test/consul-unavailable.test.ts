// Issue #14 item 4: one dropped connection is not an outage. The healer calls Consul unavailable (and holds) only
// after core's client counts `unavailableAfter` failures in a row; a reset socket alone never raises an alert.

import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { ConsulHttpClient, consulSettingsFromEnv } from '@consul-sidecars/core';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { SwarmBackend } from '../src/backends/swarm/swarm-backend';
import { ConsulBackendReader } from '../src/observe/reader';
import { emptyMemory } from '../src/plan/memory';
import { plan } from '../src/plan/plan';
import { desired, spec } from './fixtures';

interface ScriptedConsul {
  server: Server;
  address: string;
  requests: number;
  /** Which request numbers (1-based) get their socket destroyed instead of an answer. */
  resetRequests: Set<number>;
  /** Every request after this many is reset too (Consul gone). */
  downAfter?: number;
}

async function startScriptedConsul(): Promise<ScriptedConsul> {
  const state: ScriptedConsul = { server: undefined as unknown as Server, address: '', requests: 0, resetRequests: new Set() };
  const perSocket = new WeakMap<Socket, number>();
  state.server = createServer({ keepAlive: true }, (req, res) => {
    state.requests++;
    const n = state.requests;
    perSocket.set(req.socket, (perSocket.get(req.socket) ?? 0) + 1);
    if (state.resetRequests.has(n) || (state.downAfter !== undefined && n > state.downAfter)) {
      req.socket.destroy();
      return;
    }
    res.setHeader('X-Consul-Index', '7');
    res.setHeader('Content-Type', 'application/json');
    res.end(req.url?.startsWith('/v1/status/leader') ? '"10.0.0.1:8300"' : '[]');
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  const port = (state.server.address() as { port: number }).port;
  state.address = `127.0.0.1:${port}`;
  return state;
}

describe('healer: one dropped connection is not an outage (#14 item 4)', () => {
  let consul: ScriptedConsul;
  let client: ConsulHttpClient;
  const state = desired([spec('web', 0)]);
  const reader = () => new ConsulBackendReader({ consul: client, backends: { compose: new ComposeBackend({ listContainers: async () => [] }), swarm: new SwarmBackend() } });

  beforeEach(async () => {
    consul = await startScriptedConsul();
    client = new ConsulHttpClient(consulSettingsFromEnv({}, consul.address), { unavailableAfter: 3 });
  });
  afterEach(async () => {
    consul.server.closeAllConnections();
    await new Promise((resolve) => consul.server.close(resolve));
  });

  it('a kept-alive socket reset by the server as it is reused: Consul is ok, nothing held, no alert', async () => {
    const r = reader();
    expect((await r.observe(state)).consulOk).to.equal(true); // warms a kept-alive socket
    const resetAt = consul.requests + 1;
    consul.resetRequests.add(resetAt);
    const live = await r.observe(state);
    expect(live.consulOk, live.consulError).to.equal(true);
    const planned = plan(state, live, emptyMemory(), live.at);
    expect(planned.guard).to.equal(undefined);
    expect(planned.alerts).to.deep.equal([]);
    expect(consul.requests).to.be.above(resetAt);
    expect(client.unavailable).to.equal(false);
  });

  it('one reset of a fresh connection (no stale-socket retry in the client): the read is tried again, Consul is ok', async () => {
    consul.resetRequests.add(1);
    const live = await reader().observe(state);
    expect(live.consulOk, live.consulError).to.equal(true);
    expect(live.services.web.instances).to.deep.equal([]);
    expect(client.failures.totalFailures).to.equal(1);
  });

  it('Consul gone (every request reset): unavailable after 3 failures in a row, and the planner holds with a consul-unavailable alert', async () => {
    consul.downAfter = 0;
    const live = await reader().observe(state);
    expect(live.consulOk).to.equal(false);
    expect(live.consulError).to.match(/consul unreachable \(\d+ failures in a row\)/);
    expect(client.unavailable).to.equal(true);
    const planned = plan(state, live, emptyMemory(), live.at);
    expect(planned.guard?.kind).to.equal('consul-unavailable');
    expect(planned.alerts.map((a) => a.kind)).to.include('consul-unavailable');
    // Bounded: the leader read and the one service read each stop at the threshold.
    expect(consul.requests).to.be.at.most(2 * 3 * 2);
  });
});
