// The healer's own Engine API client against the real engine: what the backends rely on (lists by label, inspect,
// "already gone" as 404).

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { EngineClient, EngineError, engineFor, type EngineApi } from '../src/backends/engine-client';
import { ContainerListBatch } from '../src/backends/compose/container-list-batch';
import { ensureBusyboxImage } from '../../../test/support/docker-images';

describe('healer engine client @integration', function () {
  this.timeout(60_000);
  const engine = engineFor(undefined, 'DOCKER_HOST');
  const name = `healer-engine-${process.pid}`;

  const batchNames = ['a-web', 'b-web', 'a-api'].map((n) => `healer-batch-${process.pid}-${n}`);

  after(() => {
    for (const n of [name, ...batchNames]) {
      try {
        execFileSync('docker', ['rm', '-f', n], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });

  it('the local engine without ssh is the healer\'s own client', () => {
    expect(engine).to.be.instanceOf(EngineClient);
  });

  it('lists by label, inspects, removes; a container that is gone is a 404 the backends treat as removed', async () => {
    const image = ensureBusyboxImage();
    const id = execFileSync('docker', ['run', '-d', '--name', name, '--label', 'consul-sidecars.test=healer', '--label', `consul-sidecars.test.owner=${process.pid}`, '--label', `healer-engine=${process.pid}`, image, 'sleep', '60']).toString().trim();
    const listed = await engine.listContainers({ all: true, filters: { label: [`healer-engine=${process.pid}`] } });
    expect(listed.map((c) => c.Id)).to.deep.equal([id]);
    const info = await engine.getContainer(id).inspect();
    expect(info.State.Status).to.equal('running');
    expect(info.Name).to.equal(`/${name}`);
    await engine.getContainer(id).remove({ force: true, v: true });
    const err = await engine.getContainer(id).inspect().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EngineError);
    expect((err as EngineError).statusCode).to.equal(404);
    expect(String(err)).to.match(/No such container/i);
    expect(((await engine.getContainer(id).remove({ force: true }).catch((e: unknown) => e)) as EngineError).statusCode).to.equal(404);
  });

  it("one pass's lists of several compose services are one call whose label filter the engine reads as compose does", async () => {
    const image = ensureBusyboxImage();
    const project = (p: string) => `healer-batch-${process.pid}-${p}`;
    const ids: Record<string, string> = {};
    for (const [p, service] of [['a', 'web'], ['b', 'web'], ['a', 'api']]) {
      ids[`${p}-${service}`] = execFileSync('docker', ['run', '-d', '--name', `${project(p)}-${service}`,
        '--label', 'consul-sidecars.test=healer', '--label', `consul-sidecars.test.owner=${process.pid}`,
        '--label', `com.docker.compose.project=${project(p)}`, '--label', `com.docker.compose.service=${service}`, image, 'sleep', '60']).toString().trim();
    }
    let calls = 0;
    const counted: EngineApi = { ...engine, listContainers: (options) => (calls++, engine.listContainers(options)) };
    const batch = new ContainerListBatch();
    const ofOneProject = await Promise.all([batch.list(counted, project('a'), 'web'), batch.list(counted, project('a'), 'api')]);
    expect(ofOneProject.map((l) => l.map((c) => c.Id))).to.deep.equal([[ids['a-web']], [ids['a-api']]]);
    const ofTwoProjects = await Promise.all([batch.list(counted, project('a'), 'web'), batch.list(counted, project('b'), 'web'), batch.list(counted, project('c'), 'web')]);
    expect(ofTwoProjects.map((l) => l.map((c) => c.Id))).to.deep.equal([[ids['a-web']], [ids['b-web']], []]);
    expect(calls).to.equal(2);
  });
});
