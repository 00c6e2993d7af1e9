// rolling-update / rollback against real Docker, docker-compose and Consul, with the real routing chain: 3 busybox
// web instances, the renderer (a real process) rendering their passing instances into a real nginx on loopback,
// and a bounded request loop through that nginx that must see no failure. The scripts drain through the rendered
// upstream file (--drain-upstream-file), so an instance stops only once nginx's config no longer lists it.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { waitFor } from '@consul-sidecars/core';
import { startTestConsul, type TestConsul } from '../support/consul';
import { dockerAvailable } from '../support/docker-images';
import {
  buildWebImage,
  imageId,
  randomSuffix,
  requestLoop,
  runScript,
  SCRIPTS,
  startTestRegistrator,
  startWebProject,
  type WebProject,
} from './deploy-fixtures';
import { startNginxChain, type NginxChain } from './nginx-chain';

describe('deploy scripts: rolling-update and rollback through the renderer and nginx @integration', function () {
  this.timeout(240_000);
  const suffix = randomSuffix();
  const label = `deploy-${suffix}`;
  const service = `deploy-web-${suffix}`;
  const siteTag = `deploy-site-${suffix}`;
  const v1 = `consul-sidecars/deploy-web:v1-${suffix}`;
  const v2 = `consul-sidecars/deploy-web:v2-${suffix}`;
  const broken = `consul-sidecars/deploy-web:broken-${suffix}`;
  let consul: TestConsul;
  let project: WebProject;
  let registrator: ReturnType<typeof startTestRegistrator>;
  let chain: NginxChain;

  /** "127.0.0.1:<host port>" of the running instances, sorted like NginxChain.upstreamServers(). */
  const liveAddresses = async () => (await project.containers()).map((c) => `127.0.0.1:${c.hostPort}`).sort();

  before(async function () {
    if (!dockerAvailable()) throw new Error('these tests need a Docker engine');
    buildWebImage(v1, 'v1', label);
    buildWebImage(v2, 'v2', label);
    buildWebImage(broken, 'broken', label, 81); // httpd on 81: the published port 80 never answers, the check never passes
    consul = await startTestConsul();
    project = startWebProject(`csdeploy${suffix}`, v1, 3, label);
    registrator = startTestRegistrator(consul.url, project, service, { tags: [siteTag] });
    chain = await startNginxChain({ consulUrl: consul.url, service, siteTag });
    const want = await liveAddresses();
    expect(want).to.have.length(3);
    await waitFor(() => JSON.stringify(chain.upstreamServers()) === JSON.stringify(want), {
      timeoutMs: 30_000,
      message: `the rendered upstream to list ${want.join(' ')} (renderer: ${chain.rendererOutput().slice(-1000)})`,
    });
    await waitFor(async () => (await chain.rendererCounters()).reloads >= 1 && (await chain.reloadsSettled()), { timeoutMs: 10_000, message: 'nginx to run the rendered config' });
    expect((await chain.get()).status, `nginx serving ${service}`).to.equal(200);
  });

  after(async function () {
    await chain?.stop();
    await registrator?.stop();
    project?.remove();
    await consul?.close();
    for (const tag of [v1, v2, broken]) {
      try {
        execFileSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
      } catch {
        // gone
      }
    }
  });

  const scriptArgs = (image: string) => [
    ...project.composeArgs,
    '--service', 'web',
    '--image', image,
    '--image-var', 'WEB_IMAGE',
    '--consul-service', service,
    '--drain-upstream-file', chain.upstreamFile,
    '--drain-timeout', '10s',
    // The rendered file drops an instance when the renderer swaps its candidate in for `nginx -t`, before the reload,
    // and nginx's old worker accepts connections for a moment after it: the grace (the script's default) covers both.
    '--drain-grace', '2s',
    '--check-timeout', '20s',
    '--stop-timeout', '2',
  ];
  const env = () => ({ CONSUL_HTTP_ADDR: consul.url });

  /** Runs a script under the request loop; also returns how many reloads the renderer ran and nginx received meanwhile. */
  async function rollWhileLoading(script: string, args: string[]) {
    const countersBefore = await chain.rendererCounters();
    const sighupsBefore = chain.nginx.reloads();
    const upstreamErrorsBefore = chain.upstreamErrors().length;
    let done = false;
    const loop = requestLoop(chain.get, () => done);
    const result = await runScript(script, args, env()).finally(() => {
      done = true;
    });
    if (process.env.DEPLOY_TEST_VERBOSE) console.log(result.output);
    const stats = await loop;
    await waitFor(() => chain.reloadsSettled(), { timeoutMs: 10_000, message: "nginx to finish the renderer's last reload" });
    const counters = await chain.rendererCounters();
    return {
      result,
      stats,
      rendererReloads: counters.reloads - countersBefore.reloads,
      nginxReloads: chain.nginx.reloads() - sighupsBefore,
      // nginx retries a refused connection on the next server, so the loop alone would not see an undrained stop
      upstreamErrors: chain.upstreamErrors().slice(upstreamErrorsBefore),
      counters,
    };
  }

  /** nginx routes to exactly these containers: the rendered upstream lists them, and they (all, only) answer. */
  async function expectNginxRoutesTo(containers: Array<{ id: string; hostPort: number }>) {
    expect(chain.upstreamServers(), 'servers of the rendered upstream').to.deep.equal(containers.map((c) => `127.0.0.1:${c.hostPort}`).sort());
    const answered = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      const res = await chain.get();
      expect(res.status, res.body).to.equal(200);
      answered.add(res.body.trim().split(' ')[1]);
    }
    // busybox's hostname is the container's short ID; round robin over 3 servers reaches each in 30 requests
    expect([...answered].sort()).to.deep.equal(containers.map((c) => c.id.slice(0, 12)).sort());
  }

  it('replaces 3 instances one at a time with zero failed requests through nginx', async function () {
    const replaced = await liveAddresses();
    const { result, stats, rendererReloads, nginxReloads, counters, upstreamErrors } = await rollWhileLoading(join(SCRIPTS, 'rolling-update'), scriptArgs(v2));
    expect(result.code, result.output).to.equal(0);
    expect(stats.failed, stats.failures.join('\n')).to.equal(0);
    expect(upstreamErrors, 'nginx errors on upstreams (a request sent to a stopped instance)').to.deep.equal([]);
    expect(stats.ok).to.be.greaterThan(100);
    expect(stats.bodies.get('v1'), 'requests answered by v1 while rolling').to.be.greaterThan(0);
    expect(stats.bodies.get('v2'), 'requests answered by v2 while rolling').to.be.greaterThan(0);
    const live = await project.containers();
    expect(live.map((c) => c.image)).to.deep.equal([imageId(v2), imageId(v2), imageId(v2)]);
    const dotenv = readFileSync(join(project.dir, '.env'), 'utf8');
    expect(dotenv).to.include(`WEB_IMAGE=${v2}\n`).and.include(`WEB_IMAGE_PREVIOUS=${v1}\n`);
    expect(result.output).to.match(/in maintenance/);
    // each old instance left the rendered file before it stopped (no drain check gave up)
    expect(result.output).not.to.match(/drain timeout passed/);
    for (const address of replaced) expect(chain.upstreamServers()).not.to.include(address);
    await expectNginxRoutesTo(live);
    expect(rendererReloads, 'renderer reloads during the update').to.be.at.least(3);
    expect(nginxReloads, 'SIGHUPs nginx logged during the update').to.be.at.least(3);
    expect(counters.validationFailures + counters.reloadFailures, chain.rendererOutput().slice(-2000)).to.equal(0);
  });

  it('stops at a new image whose instances never pass, and leaves the previous image serving', async function () {
    const before = await project.containers();
    const { result, stats, counters, upstreamErrors } = await rollWhileLoading(join(SCRIPTS, 'rolling-update'), [...scriptArgs(broken), '--check-timeout', '4s']);
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.match(/rolled back to/);
    expect(stats.failed, stats.failures.join('\n')).to.equal(0);
    expect(upstreamErrors, 'nginx errors on upstreams (a request sent to a stopped instance)').to.deep.equal([]);
    expect(stats.ok).to.be.greaterThan(0);
    expect(stats.bodies.get('broken') ?? 0).to.equal(0);
    const live = await project.containers();
    expect(live.map((c) => c.image)).to.deep.equal([imageId(v2), imageId(v2), imageId(v2)]);
    expect(live.map((c) => c.id).sort()).to.deep.equal(before.map((c) => c.id).sort());
    expect(readFileSync(join(project.dir, '.env'), 'utf8')).to.include(`WEB_IMAGE=${v2}\n`);
    // nothing is left in maintenance, and nginx still routes to the same three
    const checks = (await (await fetch(`${consul.url}/v1/agent/checks`)).json()) as Record<string, { CheckID: string }>;
    expect(Object.keys(checks).filter((id) => id.startsWith('_service_maintenance:') && id.includes(project.name))).to.deep.equal([]);
    await expectNginxRoutesTo(live);
    expect(counters.validationFailures + counters.reloadFailures, chain.rendererOutput().slice(-2000)).to.equal(0);
  });

  it('rollback puts the service back on the image before the last update, with zero failed requests', async function () {
    const { result, stats, rendererReloads, nginxReloads, counters, upstreamErrors } = await rollWhileLoading(join(SCRIPTS, 'rollback'), [
      ...scriptArgs(v2).filter((_, i, all) => all[i] !== '--image' && all[i - 1] !== '--image'),
    ]);
    expect(result.code, result.output).to.equal(0);
    expect(stats.failed, stats.failures.join('\n')).to.equal(0);
    expect(upstreamErrors, 'nginx errors on upstreams (a request sent to a stopped instance)').to.deep.equal([]);
    expect(stats.bodies.get('v1'), 'requests answered by v1 while rolling back').to.be.greaterThan(0);
    expect(stats.bodies.get('v2'), 'requests answered by v2 while rolling back').to.be.greaterThan(0);
    const live = await project.containers();
    expect(live.map((c) => c.image)).to.deep.equal([imageId(v1), imageId(v1), imageId(v1)]);
    expect(readFileSync(join(project.dir, '.env'), 'utf8')).to.include(`WEB_IMAGE=${v1}\n`);
    expect(result.output).not.to.match(/drain timeout passed/);
    await expectNginxRoutesTo(live);
    expect(rendererReloads, 'renderer reloads during the rollback').to.be.at.least(3);
    expect(nginxReloads, 'SIGHUPs nginx logged during the rollback').to.be.at.least(3);
    expect(counters.validationFailures + counters.reloadFailures, chain.rendererOutput().slice(-2000)).to.equal(0);
  });
});
