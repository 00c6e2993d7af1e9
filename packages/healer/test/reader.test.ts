// Observe at scale: every backend's containers asked for at once (so a backend can batch them), Consul's health a
// bounded number of services at a time, every service in the live state.

import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { ConsulHttpClient, consulSettingsFromEnv } from '@consul-sidecars/core';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { SwarmBackend } from '../src/backends/swarm/swarm-backend';
import { CONSUL_READ_CONCURRENCY, ConsulBackendReader } from '../src/observe/reader';
import { desired, spec } from './fixtures';

describe('healer observe (many services)', () => {
  let server: Server;
  let client: ConsulHttpClient;
  let inFlight = 0;
  let mostInFlight = 0;
  let listsBeforeFirstRead: number | undefined;
  let lists = 0;

  beforeEach(async () => {
    inFlight = 0;
    mostInFlight = 0;
    lists = 0;
    listsBeforeFirstRead = undefined;
    server = createServer({ keepAlive: true }, (req, res) => {
      res.setHeader('X-Consul-Index', '7');
      res.setHeader('Content-Type', 'application/json');
      if (req.url?.startsWith('/v1/status/leader')) {
        res.end('"10.0.0.1:8300"');
        return;
      }
      listsBeforeFirstRead ??= lists;
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      // Answered a little later, so reads that could overlap do.
      setTimeout(() => {
        inFlight--;
        res.end('[]');
      }, 5);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new ConsulHttpClient(consulSettingsFromEnv({}, `127.0.0.1:${(server.address() as { port: number }).port}`));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it(`40 services: all observed, every backend list asked before the first health read, at most ${CONSUL_READ_CONCURRENCY} health reads at once`, async () => {
    const compose = new ComposeBackend({ listContainers: async () => (lists++, []) });
    const reader = new ConsulBackendReader({ consul: client, backends: { compose, swarm: new SwarmBackend() } });
    const state = desired(Array.from({ length: 40 }, (_, i) => spec(`svc${i}`, 1)));
    const live = await reader.observe(state);
    expect(live.consulOk, live.consulError).to.equal(true);
    expect(Object.keys(live.services).sort()).to.deep.equal(state.services.map((s) => s.name).sort());
    expect(Object.values(live.services).every((s) => Array.isArray(s.instances) && Array.isArray(s.containers))).to.equal(true);
    expect(listsBeforeFirstRead).to.equal(40);
    expect(mostInFlight).to.be.within(2, CONSUL_READ_CONCURRENCY);
  });

  it("a backend that throws instead of rejecting is that service's backend error, not the pass's", async () => {
    const compose = new ComposeBackend({ listContainers: () => { throw new Error('engine gone'); } });
    const reader = new ConsulBackendReader({ consul: client, backends: { compose, swarm: new SwarmBackend() } });
    const live = await reader.observe(desired([spec('web', 1)]));
    expect(live.services.web.backendError).to.equal('engine gone');
    expect(live.services.web.instances).to.deep.equal([]);
  });
});
