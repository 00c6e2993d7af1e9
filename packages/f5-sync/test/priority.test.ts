// Acceptance: master/slave instances (real busybox containers) -> one pool, priority groups 10/9, traffic to the
// master until its check fails, then to the slave; swapping the role tags swaps the priorities.

import { expect } from 'chai';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import type { F5Sync } from '../src/f5-sync';
import { deregister, membersOf, poolOf, receiving, register, startEnv, startF5Sync, testConfig, uniqueName, waitFor, type Env } from './support';

describe('f5-sync priority groups @integration', function () {
  this.timeout(90_000);
  let env: Env;
  let f5: F5Sync | undefined;
  const containers: WebContainer[] = [];
  const ids: string[] = [];

  before(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await f5?.close();
    f5 = undefined;
    await deregister(env.consul.client, ...ids.splice(0));
    removeContainers(...containers.splice(0).map((c) => c.id));
  });
  after(async () => {
    await env.close();
  });

  it('master 10 / slave 9 with minActiveMembers 1; traffic follows the master until its check goes critical; role swap swaps priorities', async () => {
    const service = uniqueName('web');
    const pool = `${service}_pool`;
    const label = uniqueName('label');
    const master = startWebContainer(`${service}-master`, { testLabel: label });
    containers.push(master);
    const slave = startWebContainer(`${service}-slave`, { testLabel: label });
    containers.push(slave);
    const masterName = `127.0.0.1:${master.hostPort}`;
    const slaveName = `127.0.0.1:${slave.hostPort}`;
    const masterInstance = { id: `${service}-1`, service, port: master.hostPort, tags: ['master'], httpCheck: `http://127.0.0.1:${master.hostPort}/` };
    const slaveInstance = { id: `${service}-2`, service, port: slave.hostPort, tags: ['slave'], httpCheck: `http://127.0.0.1:${slave.hostPort}/` };
    ids.push(masterInstance.id, slaveInstance.id);
    await register(env.consul.client, masterInstance);
    await register(env.consul.client, slaveInstance);

    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }], { drainPeriod: '2s' }));

    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 20_000, message: 'both members in the pool' });
    expect(poolOf(env.bigip, pool)?.minActiveMembers).to.equal(1);
    const members = membersOf(env.bigip, pool);
    expect(members[masterName].priorityGroup).to.equal(10);
    expect(members[slaveName].priorityGroup).to.equal(9);
    expect(members[masterName].description).to.equal(`f5-sync:${service}`);
    expect(receiving(env.bigip, pool)).to.deep.equal([masterName]);

    // The master dies: its HTTP check goes critical, it leaves the passing set and is drained at once.
    removeContainers(master.id);
    await waitFor(() => receiving(env.bigip, pool).join() === slaveName, { timeoutMs: 20_000, message: 'traffic to the slave' });
    expect(membersOf(env.bigip, pool)[masterName]?.session ?? 'removed').to.be.oneOf(['user-disabled', 'removed']);
    // After the drain period it is removed.
    await waitFor(() => membersOf(env.bigip, pool)[masterName] === undefined, { timeoutMs: 15_000, message: 'master removed after its drain' });

    // A new instance comes up as slave, then `role promote` swaps the tags: re-registration with master/slave swapped.
    const replacement = startWebContainer(`${service}-replacement`, { testLabel: label });
    containers.push(replacement);
    const replacementName = `127.0.0.1:${replacement.hostPort}`;
    const replacementInstance = { id: `${service}-3`, service, port: replacement.hostPort, tags: ['slave'], httpCheck: `http://127.0.0.1:${replacement.hostPort}/` };
    ids.push(replacementInstance.id);
    await register(env.consul.client, replacementInstance);
    await waitFor(() => membersOf(env.bigip, pool)[replacementName]?.priorityGroup === 9, { timeoutMs: 20_000, message: 'replacement added as slave' });
    // Two slaves (9, 9): traffic is spread over group 9.
    expect(receiving(env.bigip, pool).sort()).to.deep.equal([replacementName, slaveName].sort());

    await register(env.consul.client, { ...replacementInstance, tags: ['master'] });
    await register(env.consul.client, { ...slaveInstance, tags: ['slave'] });
    await waitFor(() => membersOf(env.bigip, pool)[replacementName]?.priorityGroup === 10, { timeoutMs: 20_000, message: 'promoted instance at priority 10' });
    expect(receiving(env.bigip, pool)).to.deep.equal([replacementName]);

    // And back: promote the old slave, the replacement becomes slave.
    await register(env.consul.client, { ...replacementInstance, tags: ['slave'] });
    await register(env.consul.client, { ...slaveInstance, tags: ['master'] });
    await waitFor(() => {
      const m = membersOf(env.bigip, pool);
      return m[slaveName]?.priorityGroup === 10 && m[replacementName]?.priorityGroup === 9;
    }, { timeoutMs: 20_000, message: 'priorities swapped' });
    await waitFor(() => receiving(env.bigip, pool).join() === slaveName, { timeoutMs: 5_000, message: 'traffic to the promoted instance' });
  });
});
