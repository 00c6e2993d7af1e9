// The healer's own Engine API client against the real engine: what the backends rely on (lists by label, inspect,
// "already gone" as 404).

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { EngineClient, EngineError, engineFor } from '../src/backends/engine-client';
import { ensureBusyboxImage } from '../../../test/support/docker-images';

describe('healer engine client @integration', function () {
  this.timeout(60_000);
  const engine = engineFor(undefined, 'DOCKER_HOST');
  const name = `healer-engine-${process.pid}`;

  after(() => {
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } catch {
      // already gone
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
});
