// @integration kill -9 at every act step (core's crashPoint, CONSUL_SIDECARS_CRASH_AT) of the real renderer bin against
// the Consul stand-in and a real nginx; restarted unarmed, the live file validates, nginx serves what it says (requests
// reach every current instance and nothing else) and no candidate, journal or unvalidated file is left behind.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';
import { CRASH_POINTS } from '../src/crash-points';
import { httpGet, startNginx, type NginxInstance } from './nginx-harness';
import { consulInstances, spawnRendererBin, startBackend, stopRenderer, type Backend, type RendererProcess } from './process-harness';

const SERVICE = 'crash-web';
const HOST = 'crash.test';

/** `nginx -t` of the real config, which reads the live path. */
function liveFileValidates(nginx: NginxInstance): { ok: boolean; output: string } {
  const [bin, ...args] = nginx.validateCommand;
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** The ports of the `server` lines of the live file's upstream: what the file says nginx should route to. */
const portsInFile = (path: string): number[] => [...readFileSync(path, 'utf8').matchAll(/server 127\.0\.0\.1:(\d+);/g)].map((m) => Number(m[1])).sort((a, b) => a - b);

describe('@integration renderer killed at every crash point (real nginx, the bin)', function () {
  this.timeout(60_000);
  let consul: TestConsul;
  let nginx: NginxInstance;
  let backends: Backend[] = [];
  let work: string;
  let running: RendererProcess | undefined;

  const configFile = (vars: Record<string, unknown> = {}): string => {
    const path = join(work, `renderer-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({
      consul: { address: consul.url, waitSeconds: 30, retryMax: '250ms' },
      ops: { enabled: false },
      templates: [{
        contents: [
          'upstream crash_web {',
          "{% for i in service('crash-web') %}    server {{ i | hostPort }};\n{% endfor %}}",
          `server { listen 127.0.0.1:${nginx.port}; server_name ${HOST}; location / { proxy_pass http://crash_web; } }`,
          '{{ vars.extra or "" }}',
          '',
        ].join('\n'),
        destination: nginx.sitesPath,
        validateCommand: nginx.validateCommand,
        reloadCommand: nginx.reloadCommand,
        group: 'nginx',
        vars,
      }],
    }));
    return path;
  };

  const instances = consulInstances(() => consul, SERVICE, () => backends);
  const registered = instances.registered;
  const setInstances = (names: string[]) => instances.set(names);

  /** nginx routes to exactly `names` (each reached, nothing else answering) and its file lists exactly their ports. */
  const servedBy = async (names: string[], context: () => string) => {
    const ports = backends.filter((b) => names.includes(b.name)).map((b) => b.port).sort((a, b) => a - b);
    await waitFor(async () => {
      if (JSON.stringify(portsInFile(nginx.sitesPath)) !== JSON.stringify(ports)) return false;
      const seen = new Set<string>();
      for (let i = 0; i < names.length * 4; i++) {
        const res = await httpGet(nginx.port, HOST).catch(() => ({ status: 0, body: '' }));
        seen.add(res.status === 200 ? res.body : `HTTP ${res.status}`);
      }
      return seen.size === names.length && names.every((n) => seen.has(n));
    }, { timeoutMs: 15_000, intervalMs: 50, message: `nginx serving exactly ${names.join(', ')}; file ${readFileSync(nginx.sitesPath, 'utf8')}\n${context()}` });
  };
  const leftovers = () => readdirSync(join(nginx.prefix, 'conf.d')).filter((f) => f.startsWith('.'));

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rendcrash-'));
    consul = await startTestConsul();
    nginx = await startNginx({ label: 'rendcrash' });
    backends = await Promise.all(['a', 'b', 'c'].map(startBackend));
    await setInstances(['a', 'b']);
    const first = spawnRendererBin(['-config', configFile()]);
    try {
      await servedBy(['a', 'b'], first.output);
    } finally {
      await stopRenderer(first);
    }
  });
  afterEach(async () => {
    await stopRenderer(running);
    running = undefined;
  });
  after(async () => {
    await nginx?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await consul?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('an unknown crash point is a config error at start (exit 78), naming it', async () => {
    const r = spawnRendererBin(['-config', configFile()], { CONSUL_SIDECARS_CRASH_AT: 'renderer.after-swapp' });
    expect((await r.exited).code, r.output()).to.equal(78);
    expect(r.output()).to.include('CONSUL_SIDECARS_CRASH_AT="renderer.after-swapp" names no crash point');
  });

  // Each case: while the renderer was down, instance c came or went; the armed renderer renders that change and dies
  // at the point; the restarted one must bring nginx to the current set.
  const fileCases: { point: string; extra?: string; title: string }[] = [
    { point: CRASH_POINTS.afterCandidateWrite, title: 'candidate written, nothing live' },
    { point: CRASH_POINTS.duringValidate, title: 'nginx -t running on the throwaway config' },
    { point: CRASH_POINTS.duringValidate, extra: 'this is not nginx;', title: 'nginx -t running on a BROKEN candidate' },
    { point: CRASH_POINTS.afterSwap, title: 'the validated file live, nginx not reloaded (issue #14\'s 2 of 3)' },
    { point: CRASH_POINTS.beforeReload, title: 'about to reload' },
    { point: CRASH_POINTS.afterReload, title: 'reloaded, journal not cleared' },
  ];
  for (const c of fileCases) {
    it(`${c.point} (${c.title}): dies there; restarted, the live file validates and nginx serves every current instance`, async () => {
      const before = portsInFile(nginx.sitesPath);
      const beforeText = readFileSync(nginx.sitesPath, 'utf8');
      const want = registered.has('c') ? ['a', 'b'] : ['a', 'b', 'c'];
      await setInstances(want);

      const armed = spawnRendererBin(['-config', configFile(c.extra ? { extra: c.extra } : {})], { CONSUL_SIDECARS_CRASH_AT: c.point });
      running = armed;
      const died = await Promise.race([armed.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000).unref())]);
      expect(died, `the renderer reached ${c.point} within 15 s:\n${armed.output()}`).to.not.equal(undefined);
      expect(died?.signal, armed.output()).to.equal('SIGKILL');
      expect(armed.output()).to.include(`"crashPoint":"${c.point}"`);

      // At the moment of death: whatever is at the live path validates; an unvalidated candidate never was there.
      const atDeath = liveFileValidates(nginx);
      expect(atDeath.ok, `nginx -t on the live path right after the kill: ${atDeath.output}`).to.equal(true);
      expect(readFileSync(nginx.sitesPath, 'utf8')).to.not.include('this is not nginx');
      if (c.point === CRASH_POINTS.afterCandidateWrite || c.point === CRASH_POINTS.duringValidate) {
        expect(readFileSync(nginx.sitesPath, 'utf8'), 'nothing went live before validation').to.equal(beforeText);
        expect(portsInFile(nginx.sitesPath)).to.deep.equal(before);
      }

      if (c.extra) {
        // Restarted with the template still broken: the render is refused again and said so (issue #14 saw /health
        // ok here, the broken file being at the live path and "matching" the render); the live file stays.
        const stillBroken = spawnRendererBin(['-config', configFile({ extra: c.extra }), '-once']);
        expect((await stillBroken.exited).code, stillBroken.output()).to.equal(1);
        expect(stillBroken.output()).to.match(/template not rendered.*validation-failed|validation-failed.*template not rendered/);
        expect(readFileSync(nginx.sitesPath, 'utf8')).to.equal(beforeText);
      }
      const restarted = spawnRendererBin(['-config', configFile()]);
      running = restarted;
      await servedBy(want, restarted.output);
      expect(liveFileValidates(nginx).ok).to.equal(true);
      await waitFor(() => leftovers().length === 0, { timeoutMs: 5000, message: `no candidate, journal or previous copy left: ${leftovers().join(', ')}` });
      if (c.point === CRASH_POINTS.afterSwap || c.point === CRASH_POINTS.beforeReload) {
        await waitFor(() => restarted.output().includes('reloaded what the journal left pending'), { timeoutMs: 5000, message: `the restart reloaded what the journal left pending: ${restarted.output()}` });
      }
      expect((await stopRenderer(restarted))?.code, restarted.output()).to.equal(0);
      running = undefined;
    });
  }

  it('SIGTERM during a slow reload: exits 0 within 5 s, the reload child is gone and never reloads nginx; the restart reloads', async () => {
    const marker = `rendcrash-slow-reload-${process.pid}`;
    const want = registered.has('c') ? ['a', 'b'] : ['a', 'b', 'c'];
    await setInstances(want);
    const path = configFile();
    const config = JSON.parse(readFileSync(path, 'utf8')) as { templates: { reloadCommand: unknown }[] };
    // The marker is in the command line, so the test can see the child (and its sleep) in ps.
    config.templates[0].reloadCommand = `sleep 30 # ${marker}\n${nginx.reloadCommand.join(' ')}`;
    writeFileSync(path, JSON.stringify(config));
    const reloadsBefore = nginx.reloads();
    const slow = spawnRendererBin(['-config', path, '-log-level', 'debug']);
    running = slow;
    const children = () => spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim();
    await waitFor(() => children() !== '', { timeoutMs: 20_000, message: `the reload started: ${slow.output()}` });
    const t0 = Date.now();
    const exit = await stopRenderer(slow);
    running = undefined;
    expect(Date.now() - t0, 'stopped within 5 s').to.be.lessThan(5000);
    expect(exit?.code, slow.output()).to.equal(0);
    // The reload (30 s) outlived the stop's 2.5 s grace: killed with its process group, so it can never signal nginx.
    expect(children(), 'no reload child left running').to.equal('');
    expect(nginx.reloads(), 'nginx not reloaded').to.equal(reloadsBefore);
    expect(leftovers()).to.include('.sites.conf.renderer-journal');

    const restarted = spawnRendererBin(['-config', configFile()]);
    running = restarted;
    await servedBy(want, restarted.output);
    await waitFor(() => restarted.output().includes('reloaded what the journal left pending'), { timeoutMs: 5000, message: `the restart reloaded the journal's pending reload: ${restarted.output()}` });
    await waitFor(() => leftovers().length === 0, { timeoutMs: 5000, message: `journal cleared: ${leftovers().join(', ')}` });
  });
});
