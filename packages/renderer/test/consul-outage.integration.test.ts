// @integration issue #14's Consul outage, the renderer's part: the stand-in stopped for 60 s while the renderer runs
// against a real nginx, then restarted EMPTY on the same port, then re-registered with a changed set of instances (as
// registrator does after an agent restart). nginx keeps serving the last good file throughout, the renderer backs off
// while Consul is down and parks blocking queries once it is back (request counts bounded), and it converges within
// a stated bound. RENDERER_OUTAGE_MS shortens the outage while iterating (default 60000, the issue's).

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ConsulHttpClient, consulSettingsFromEnv, silentLogger, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { resolveRendererConfig } from '../src/config';
import { Runner } from '../src/runner';
import { httpGet, startNginx, type NginxInstance } from './nginx-harness';
import { startBackend, type Backend } from './process-harness';

const OUTAGE_MS = Number(process.env.RENDERER_OUTAGE_MS ?? 60_000);
const SERVICE = 'outage-web';
const HOST = 'outage.test';
/** The renderer's backoff ceiling while Consul is down (consul.retryMax). */
const RETRY_MAX_MS = 2000;
/** From the stand-in answering again (registrations made at once) to nginx serving the new set. */
const CONVERGE_BOUND_MS = RETRY_MAX_MS + 4000;
const WAIT_SECONDS = 30;

describe('@integration renderer: Consul down 60 s, back EMPTY, re-registered: converges, no busy loop', function () {
  this.timeout(OUTAGE_MS + 60_000);
  let standin: ConsulStandin | undefined;
  let nginx: NginxInstance;
  let backends: Backend[] = [];
  let runner: Runner | undefined;
  let client: ConsulHttpClient;

  const register = async (b: Backend) => {
    const res = await fetch(`${standin!.url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: SERVICE, ID: `${SERVICE}-${b.name}`, Address: '127.0.0.1', Port: b.port }) });
    expect(res.status).to.equal(200);
  };
  const seen = async (n: number): Promise<Set<string>> => {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) {
      const res = await httpGet(nginx.port, HOST).catch(() => ({ status: 0, body: '' }));
      out.add(res.status === 200 ? res.body : `HTTP ${res.status}`);
    }
    return out;
  };
  const servedBy = (names: string[], timeoutMs: number) =>
    waitFor(async () => {
      const s = await seen(names.length * 4);
      return s.size === names.length && names.every((n) => s.has(n));
    }, { timeoutMs, intervalMs: 50, message: `nginx serving exactly ${names.join(', ')}` });
  const consulErrors = async () => (await runner!.metrics.registry.getSingleMetric('renderer_consul_errors_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;

  before(async () => {
    standin = await startConsulStandin({ port: 0 });
    nginx = await startNginx({ label: 'rendcrash-outage' });
    backends = await Promise.all(['a', 'b', 'c'].map(startBackend));
    client = new ConsulHttpClient(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: standin.url }));
  });
  after(async () => {
    await runner?.stop();
    client?.close();
    await standin?.stop();
    await nginx?.stop();
    await Promise.all(backends.map((b) => b.close()));
  });

  it(`nginx keeps the last good file while Consul is down; back empty and re-registered, served by the new set within ${CONVERGE_BOUND_MS} ms`, async function () {
    await register(backends[0]);
    await register(backends[1]);
    const config = resolveRendererConfig({
      consul: { address: standin!.url, waitSeconds: WAIT_SECONDS, retryMax: `${RETRY_MAX_MS}ms` },
      templates: [{
        contents: `upstream outage_web {\n{% for i in service('${SERVICE}') %}    server {{ i | hostPort }};\n{% endfor %}}\nserver { listen 127.0.0.1:${nginx.port}; server_name ${HOST}; location / { proxy_pass http://outage_web; } }\n`,
        destination: nginx.sitesPath,
        validateCommand: nginx.validateCommand,
        reloadCommand: nginx.reloadCommand,
        group: 'nginx',
      }],
    });
    runner = new Runner({ config, consul: client, logger: silentLogger() });
    runner.start();
    await servedBy(['a', 'b'], 15_000);
    const file = readFileSync(nginx.sitesPath, 'utf8');
    const reloads = runner.stats.reloads;

    // Down. A deliberate duration (the 60 s), not a wait for a condition.
    const port = standin!.port;
    await standin!.stop();
    standin = undefined;
    const downAt = Date.now();
    await waitFor(() => runner!.health().consul === 'unreachable', { timeoutMs: 10_000, message: 'the renderer to notice' });
    const errorsAtNotice = await consulErrors();
    while (Date.now() - downAt < OUTAGE_MS) {
      const s = await seen(4);
      expect([...s], 'nginx serving the last good file during the outage').to.have.members(['a', 'b']);
      await new Promise((r) => setTimeout(r, Math.min(5000, OUTAGE_MS - (Date.now() - downAt))));
    }
    const failedQueries = (await consulErrors()) - errorsAtNotice;
    // Backoff, not a loop: at the ceiling a watcher waits between RETRY_MAX_MS / 2 and RETRY_MAX_MS (core's 50 %
    // jitter), after a ramp of a few tries from 250 ms; and it keeps trying, so it reconnects promptly.
    const watchers = runner.pool.size;
    const maxFailed = watchers * (Math.ceil(OUTAGE_MS / (RETRY_MAX_MS / 2)) + 8);
    expect(failedQueries, `failed Consul queries in ${OUTAGE_MS} ms (${watchers} watchers)`).to.be.at.most(maxFailed);
    expect(failedQueries, 'still retrying').to.be.at.least(watchers * Math.floor(OUTAGE_MS / RETRY_MAX_MS / 2));
    expect(readFileSync(nginx.sitesPath, 'utf8'), 'the file untouched').to.equal(file);
    expect(runner.stats.reloads).to.equal(reloads);
    expect(runner.health().ok).to.equal(false);

    // Back EMPTY on the same port; registrator (here: the test) registers what runs now: a and c, b is gone.
    standin = await startConsulStandin({ port });
    const backAt = Date.now();
    await register(backends[0]);
    await register(backends[2]);
    await servedBy(['a', 'c'], CONVERGE_BOUND_MS);
    const convergedMs = Date.now() - backAt;
    expect(convergedMs).to.be.at.most(CONVERGE_BOUND_MS);
    // Reconnecting to an empty agent: a few queries per watcher (the first answer, the held empty one, the change),
    // the test's own two registrations, no storm.
    const toConverge = standin.requestCount;
    expect(toConverge, `requests from the restart to convergence: ${JSON.stringify(standin.requestCounts())}`).to.be.at.most(runner.pool.size * 6 + 2);
    await waitFor(() => runner!.health().ok, { timeoutMs: 5000, message: `health ok again: ${JSON.stringify(runner!.health())}` });

    // Converged and quiet: blocking queries parked for WAIT_SECONDS, not a poll. Over 5 s a watcher may complete at
    // most the query it had in flight plus one re-issue.
    standin.resetRequestCounts();
    const quietMs = 5000;
    await new Promise((r) => setTimeout(r, quietMs));
    const quiet = standin.requestCount;
    expect(quiet, `requests to Consul in ${quietMs} ms once converged: ${JSON.stringify(standin.requestCounts())}`).to.be.at.most(runner.pool.size * 2);
    expect(standin.parkedQueries, 'the watchers park blocking queries').to.be.at.least(1);
    if (process.env.RENDERER_TEST_LOG) console.log(JSON.stringify({ outageMs: OUTAGE_MS, watchers, failedQueries, maxFailed, convergedMs, toConverge, quietRequests: quiet }));
  });
});
