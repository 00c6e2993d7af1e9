// @integration the Lua push endpoint (real nginx-extras) with a push secret: an unauthenticated or wrongly
// authenticated POST is refused and changes nothing; invalid addresses and unknown fields are 400s naming the field;
// a peer list changed behind the renderer's back is repaired by its poll within a stated bound; and the bin killed
// by SIGKILL while a push is in flight comes back to nginx routing to every current instance.

import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, silentLogger, waitFor } from '@consul-sidecars/core';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';
import { PUSH_SECRET_FILE_ENV } from '../src/act/push-secret';
import { resolveRendererConfig } from '../src/config';
import { CRASH_POINTS } from '../src/crash-points';
import { Runner } from '../src/runner';
import { consulInstances, spawnRendererBin, startBackend, stopRenderer, type Backend, type RendererProcess } from './process-harness';
import { freePort, httpGet, startNginx, type NginxInstance } from './nginx-harness';

const SERVICE = 'auth-web';
const UPSTREAM = 'consul_auth-web';
const HOST = 'auth.test';
const SECRET = 'f3c1e0d2a9b84c6e8d7f1a2b3c4d5e6f';
/** The poll interval the renderer is given, and the bound the test holds a repair to (2 polls + a loaded machine). */
const POLL_MS = 100;
const REPAIR_BOUND_MS = 3000;

function template(adminPort: number, port: number, secretFile: string): string {
  return `lua_package_path "{{ rendererLuaDir }}/?.lua;;";
lua_shared_dict consul_sidecars_upstreams 1m;
init_by_lua_block {
    require("consul_sidecars.upstreams").configure({ secret_file = "${secretFile}" })
}
server {
    listen 127.0.0.1:${adminPort};
    location /consul-sidecars/ { content_by_lua_block { require("consul_sidecars.upstreams").admin() } }
}
{{ pushUpstream("${UPSTREAM}", service("${SERVICE}")) }}
upstream ${UPSTREAM} {
    server 0.0.0.1;
    balancer_by_lua_block { require("consul_sidecars.upstreams").balance("${UPSTREAM}") }
}
server {
    listen 127.0.0.1:${port};
    server_name ${HOST};
    location / {
        access_by_lua_block { require("consul_sidecars.upstreams").require_peers("${UPSTREAM}") }
        proxy_pass http://${UPSTREAM};
    }
}
`;
}

describe('@integration renderer push endpoint: authenticated, strict, drift repaired (nginx-extras)', function () {
  this.timeout(60_000);
  let consul: TestConsul;
  let nginx: NginxInstance;
  let work: string;
  let secretFile: string;
  let adminPort: number;
  let backends: Backend[] = [];
  let runner: Runner | undefined;
  let bin: RendererProcess | undefined;

  const instances = consulInstances(() => consul, SERVICE, () => backends);
  const setInstances = (names: string[]) => instances.set(names);
  const admin = async (method: string, path: string, body?: unknown, secret: string | null = SECRET) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
    if (secret !== null) headers.Authorization = `Bearer ${secret}`;
    const res = await fetch(`http://127.0.0.1:${adminPort}/consul-sidecars${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const held = async (): Promise<{ peers: string[]; generation: unknown }> => {
    const { status, json } = await admin('GET', `/upstreams/${UPSTREAM}`);
    if (status !== 200) return { peers: [], generation: json.generation };
    const entry = (json.upstreams as Record<string, { peers: { address: string; port: number }[] }>)[UPSTREAM];
    return { peers: entry.peers.map((p) => `${p.address}:${p.port}`).sort(), generation: json.generation };
  };
  const addresses = (names: string[]) => backends.filter((b) => names.includes(b.name)).map((b) => `127.0.0.1:${b.port}`).sort();
  const servedBy = async (names: string[], context = '') => {
    await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < names.length * 4; i++) {
        const res = await httpGet(nginx.port, HOST).catch(() => ({ status: 0, body: '' }));
        seen.add(res.status === 200 ? res.body : `HTTP ${res.status}`);
      }
      return seen.size === names.length && names.every((n) => seen.has(n));
    }, { timeoutMs: 15_000, intervalMs: 50, message: `nginx serving exactly ${names.join(', ')} ${context}` });
  };
  const rawConfig = () => ({
    consul: { address: consul.url, waitSeconds: 30, retryMax: '250ms' },
    ops: { enabled: false },
    templates: [{
      contents: template(adminPort, nginx.port, secretFile),
      destination: nginx.sitesPath,
      validateCommand: nginx.validateCommand,
      reloadCommand: nginx.reloadCommand,
      group: 'nginx',
      upstreamPush: { url: `http://127.0.0.1:${adminPort}/consul-sidecars`, interval: `${POLL_MS}ms`, luaModules: ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'] },
    }],
  });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rendcrash-auth-'));
    secretFile = join(work, 'push.secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    chmodSync(secretFile, 0o600);
    consul = await startTestConsul();
    nginx = await startNginx({ label: 'rendcrash-auth', lua: true });
    adminPort = await freePort();
    backends = await Promise.all(['a', 'b', 'c'].map(startBackend));
    await setInstances(['a', 'b']);
    process.env[PUSH_SECRET_FILE_ENV] = secretFile;
    runner = new Runner({ config: resolveRendererConfig(rawConfig()), consul: new ConsulHttpClient(consul.settings), logger: silentLogger() });
    runner.start();
    await servedBy(['a', 'b']);
  });
  after(async () => {
    delete process.env[PUSH_SECRET_FILE_ENV];
    await runner?.stop();
    await stopRenderer(bin);
    await nginx?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await consul?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a POST without the secret, or with a wrong one, is refused (401) and changes nothing', async () => {
    const before = await held();
    const repoint = { upstreams: { [UPSTREAM]: [{ address: '127.0.0.1', port: 9 }] } };
    const none = await admin('POST', '/upstreams', repoint, null);
    expect(none.status).to.equal(401);
    expect(String(none.json.error)).to.match(/missing Authorization: Bearer/);
    const wrong = await admin('POST', '/upstreams', repoint, SECRET.replace(/.$/, 'x'));
    expect(wrong.status).to.equal(401);
    expect(String(wrong.json.error)).to.equal('wrong push secret in Authorization');
    expect(JSON.stringify(wrong.json), 'the secret is never echoed').to.not.include(SECRET.slice(0, 8));
    expect((await admin('GET', '/status', undefined, null)).status, 'reads need it too').to.equal(401);
    expect(await held(), 'peers and generation unchanged').to.deep.equal(before);
    await servedBy(['a', 'b']);
  });

  it('invalid addresses (":::::" and others) and unknown fields are 400s naming the field; nothing applied', async () => {
    const before = await held();
    const cases: [unknown, RegExp][] = [
      [{ upstreams: { [UPSTREAM]: [{ address: ':::::', port: 80 }] } }, /^upstreams\.consul_auth-web\[0\]\.address: must be an IPv4 or IPv6 address.*":::::"/],
      [{ upstreams: { [UPSTREAM]: [{ address: '1::2::3', port: 80 }] } }, /\[0\]\.address:/],
      [{ upstreams: { [UPSTREAM]: [{ address: '::', port: 80 }] } }, /\[0\]\.address:/],
      [{ upstreams: { [UPSTREAM]: [{ address: '1:2:3:4:5:6:7:8:9', port: 80 }] } }, /\[0\]\.address:/],
      [{ upstreams: { [UPSTREAM]: [{ address: '::ffff:300.1.1.1', port: 80 }] } }, /\[0\]\.address:/],
      [{ upstreams: { [UPSTREAM]: [{ address: '127.0.0.1', port: 80, weigth: 5 }] } }, /^upstreams\.consul_auth-web\[0\]\.weigth: unknown field/],
      [{ upstreams: { [UPSTREAM]: [{ address: '127.0.0.1', port: 80 }] }, force: true }, /^force: unknown field/],
    ];
    for (const [body, error] of cases) {
      const res = await admin('POST', '/upstreams', body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(String(res.json.error), JSON.stringify(body)).to.match(error);
    }
    for (const good of ['::1', 'fe80::1:2', '2001:db8:0:0:0:0:2:1', '::ffff:127.0.0.1']) {
      const res = await admin('POST', '/upstreams', { upstreams: { 'addr-check': [{ address: good, port: 80 }] } });
      expect(res.status, `${good}: ${JSON.stringify(res.json)}`).to.equal(200);
    }
    await admin('POST', '/upstreams', { upstreams: { 'addr-check': null } });
    expect((await held()).peers).to.deep.equal(before.peers);
  });

  it(`an upstream repointed behind the renderer's back (with the secret) is repaired by its poll within ${REPAIR_BOUND_MS} ms`, async () => {
    const want = addresses(['a', 'b']);
    const t0 = Date.now();
    const drift = await admin('POST', '/upstreams', { upstreams: { [UPSTREAM]: [{ address: '127.0.0.1', port: 9 }] } });
    expect(drift.status).to.equal(200);
    await waitFor(async () => JSON.stringify((await held()).peers) === JSON.stringify(want), { timeoutMs: REPAIR_BOUND_MS, intervalMs: 10, message: `the renderer repairing ${UPSTREAM} to ${want.join(', ')}` });
    const repairedMs = Date.now() - t0;
    await servedBy(['a', 'b']);
    if (process.env.RENDERER_TEST_LOG) console.log(`drift repaired in ${repairedMs} ms (poll ${POLL_MS} ms)`);
    expect(repairedMs).to.be.lessThan(REPAIR_BOUND_MS);
  });

  it('a push secret file that is too short is a config error at start, naming the variable and the file, never its content', async () => {
    writeFileSync(join(work, 'short.secret'), 'short\n', { mode: 0o600 });
    const r = spawnRendererBin(['-config', writeConfig()], { [PUSH_SECRET_FILE_ENV]: join(work, 'short.secret') });
    expect((await r.exited).code, r.output()).to.equal(78);
    expect(r.output()).to.include(`${PUSH_SECRET_FILE_ENV}=${join(work, 'short.secret')}: must hold one word of at least 16 characters`);
    expect(r.output()).to.not.include('short\\n');
  });

  function writeConfig(): string {
    const path = join(work, `renderer-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(rawConfig()));
    return path;
  }

  it(`${CRASH_POINTS.duringPush}: the bin killed with a push nginx took but it did not record; restarted, nginx routes to every current instance`, async () => {
    await runner?.stop();
    runner = undefined;
    // c came while no renderer ran: the armed bin's first push carries it, and it dies as nginx answers 200.
    await setInstances(['a', 'b', 'c']);
    const armed = spawnRendererBin(['-config', writeConfig()], { [PUSH_SECRET_FILE_ENV]: secretFile, CONSUL_SIDECARS_CRASH_AT: CRASH_POINTS.duringPush });
    bin = armed;
    const died = await Promise.race([armed.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000).unref())]);
    expect(died?.signal, armed.output()).to.equal('SIGKILL');
    expect(armed.output()).to.include(`"crashPoint":"${CRASH_POINTS.duringPush}"`);
    expect((await held()).peers, 'nginx took the push').to.deep.equal(addresses(['a', 'b', 'c']));
    // While it is down, b goes: the restarted renderer must push that.
    await setInstances(['a', 'c']);
    const restarted = spawnRendererBin(['-config', writeConfig()], { [PUSH_SECRET_FILE_ENV]: secretFile });
    bin = restarted;
    await servedBy(['a', 'c'], restarted.output());
    expect((await held()).peers).to.deep.equal(addresses(['a', 'c']));
    expect((await stopRenderer(restarted))?.code, restarted.output()).to.equal(0);
    bin = undefined;
  });
});
