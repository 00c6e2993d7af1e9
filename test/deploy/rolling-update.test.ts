// rolling-update / rollback against real Docker, docker-compose and Consul: 3 busybox web instances behind a
// proxy that follows Consul's passing instances, with a bounded request loop that must see no failure.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startTestConsul, type TestConsul } from '../support/consul';
import { dockerAvailable } from '../support/docker-images';
import {
  buildWebImage,
  imageId,
  randomSuffix,
  requestLoop,
  runScript,
  SCRIPTS,
  startConsulProxy,
  startTestRegistrator,
  startWebProject,
  type WebProject,
} from './deploy-fixtures';

const waitFor = async (probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
};

describe('deploy scripts: rolling-update and rollback @integration', function () {
  this.timeout(240_000);
  const suffix = randomSuffix();
  const label = `deploy-${suffix}`;
  const service = `deploy-web-${suffix}`;
  const v1 = `consul-sidecars/deploy-web:v1-${suffix}`;
  const v2 = `consul-sidecars/deploy-web:v2-${suffix}`;
  const broken = `consul-sidecars/deploy-web:broken-${suffix}`;
  let consul: TestConsul;
  let project: WebProject;
  let registrator: ReturnType<typeof startTestRegistrator>;
  let proxy: Awaited<ReturnType<typeof startConsulProxy>>;

  before(async function () {
    if (!dockerAvailable()) throw new Error('these tests need a Docker engine');
    buildWebImage(v1, 'v1', label);
    buildWebImage(v2, 'v2', label);
    buildWebImage(broken, 'broken', label, 81); // httpd on 81: the published port 80 never answers, the check never passes
    consul = await startTestConsul();
    project = startWebProject(`csdeploy${suffix}`, v1, 3, label);
    registrator = startTestRegistrator(consul.url, project, service);
    proxy = await startConsulProxy(consul.url, service);
    await waitFor(() => proxy.members.length === 3, 30_000, '3 passing instances behind the proxy');
  });

  after(async function () {
    await proxy?.close();
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
    '--drain-url', `${proxy.url}/__members`,
    '--drain-timeout', '10s',
    '--drain-grace', '300ms',
    '--check-timeout', '20s',
    '--stop-timeout', '2',
  ];
  const env = () => ({ CONSUL_HTTP_ADDR: consul.url });

  async function rollWhileLoading(script: string, args: string[]) {
    let done = false;
    const loop = requestLoop(proxy.url, () => done);
    const result = await runScript(script, args, env()).finally(() => {
      done = true;
    });
    if (process.env.DEPLOY_TEST_VERBOSE) console.log(result.output);
    return { result, stats: await loop };
  }

  it('replaces 3 instances one at a time with zero failed requests through the proxy', async function () {
    const { result, stats } = await rollWhileLoading(join(SCRIPTS, 'rolling-update'), scriptArgs(v2));
    expect(result.code, result.output).to.equal(0);
    expect(stats.failed, stats.failures.join('\n')).to.equal(0);
    expect(stats.ok).to.be.greaterThan(100);
    expect(stats.bodies.get('v1'), 'requests answered by v1 while rolling').to.be.greaterThan(0);
    expect(stats.bodies.get('v2'), 'requests answered by v2 while rolling').to.be.greaterThan(0);
    const live = await project.containers();
    expect(live.map((c) => c.image)).to.deep.equal([imageId(v2), imageId(v2), imageId(v2)]);
    const dotenv = readFileSync(join(project.dir, '.env'), 'utf8');
    expect(dotenv).to.include(`WEB_IMAGE=${v2}\n`).and.include(`WEB_IMAGE_PREVIOUS=${v1}\n`);
    await waitFor(() => proxy.members.length === 3, 10_000, '3 members behind the proxy after the update');
    expect(result.output).to.match(/in maintenance/);
  });

  it('stops at a new image whose instances never pass, and leaves the previous image serving', async function () {
    const { result, stats } = await rollWhileLoading(join(SCRIPTS, 'rolling-update'), [...scriptArgs(broken), '--check-timeout', '4s']);
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.match(/rolled back to/);
    expect(stats.failed, stats.failures.join('\n')).to.equal(0);
    expect(stats.bodies.get('broken') ?? 0).to.equal(0);
    const live = await project.containers();
    expect(live.map((c) => c.image)).to.deep.equal([imageId(v2), imageId(v2), imageId(v2)]);
    expect(readFileSync(join(project.dir, '.env'), 'utf8')).to.include(`WEB_IMAGE=${v2}\n`);
    // nothing is left in maintenance
    const checks = (await (await fetch(`${consul.url}/v1/agent/checks`)).json()) as Record<string, { CheckID: string }>;
    expect(Object.keys(checks).filter((id) => id.startsWith('_service_maintenance:') && id.includes(project.name))).to.deep.equal([]);
  });

  it('rollback puts the service back on the image before the last update, with zero failed requests', async function () {
    const { result, stats } = await rollWhileLoading(join(SCRIPTS, 'rollback'), [
      ...scriptArgs(v2).filter((_, i, all) => all[i] !== '--image' && all[i - 1] !== '--image'),
    ]);
    expect(result.code, result.output).to.equal(0);
    expect(stats.failed, stats.failures.join('\n')).to.equal(0);
    const live = await project.containers();
    expect(live.map((c) => c.image)).to.deep.equal([imageId(v1), imageId(v1), imageId(v1)]);
    expect(readFileSync(join(project.dir, '.env'), 'utf8')).to.include(`WEB_IMAGE=${v1}\n`);
  });
});
