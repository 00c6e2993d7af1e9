// The sweep of test containers left by a dead test process: removed; ours and other live owners' kept.

import { execFileSync, spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { OWNER_LABEL, sweepDeadOwners, TEST_LABEL } from './container-owner';
import { ensureBusyboxImage } from './docker-images';

describe('test support: containers of dead test processes are swept @integration', function () {
  this.timeout(60_000);
  const kind = `sweep-${process.pid}-${Date.now()}`;
  const made: string[] = [];
  const run = (owner: string | undefined) => {
    const labels = ['--label', `${TEST_LABEL}=${kind}`, ...(owner === undefined ? [] : ['--label', `${OWNER_LABEL}=${owner}`])];
    const id = execFileSync('docker', ['create', ...labels, ensureBusyboxImage(), 'true'], { encoding: 'utf8' }).trim();
    made.push(id);
    return id;
  };
  const exists = (id: string) => spawnSync('docker', ['inspect', id], { stdio: 'ignore' }).status === 0;

  after(() => {
    spawnSync('docker', ['rm', '-f', ...made], { stdio: 'ignore' });
  });

  it('removes those of a dead owner and those without one; keeps a live owner\'s', () => {
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = exited.stdout;
    const dead = run(deadPid);
    const unowned = run(undefined);
    const ours = run(String(process.pid));
    expect(sweepDeadOwners(kind)).to.equal(2);
    expect([exists(dead), exists(unowned), exists(ours)]).to.deep.equal([false, false, true]);
    expect(sweepDeadOwners(kind), 'once per kind and process').to.equal(0);
  });
});
