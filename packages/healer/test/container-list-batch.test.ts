// The compose lists of one pass: every service asked of one engine in the same turn is one Engine API call.

import { expect } from 'chai';
import type Docker from 'dockerode';
import { ContainerListBatch, composeListFilter, containersOf } from '../src/backends/compose/container-list-batch';
import type { EngineApi } from '../src/backends/engine-client';

const info = (id: string, project: string, service: string): Docker.ContainerInfo =>
  ({ Id: id, Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service } }) as unknown as Docker.ContainerInfo;

/** An engine whose listContainers answers from `all` by the label filter it is given, and records each filter. */
function fakeEngine(all: Docker.ContainerInfo[], fail?: Error): EngineApi & { calls: string[][] } {
  const calls: string[][] = [];
  const matches = (c: Docker.ContainerInfo, label: string) => {
    const [key, value] = label.split('=');
    return value === undefined ? key in (c.Labels ?? {}) : c.Labels?.[key] === value;
  };
  return {
    calls,
    listContainers: async ({ filters }) => {
      calls.push(filters?.label ?? []);
      if (fail) throw fail;
      return all.filter((c) => (filters?.label ?? []).every((l) => matches(c, l)));
    },
    getContainer: () => { throw new Error('not used'); },
    listNodes: async () => [],
    listTasks: async () => [],
    getService: () => { throw new Error('not used'); },
  };
}

describe('healer compose container lists (one call per engine per pass)', () => {
  describe('composeListFilter: the one label filter that covers what was asked', () => {
    const cases: Array<[string, Array<{ project: string; service: string }>, string[]]> = [
      ['one service: exactly its labels (as a single list always was)', [{ project: 'shop', service: 'web' }],
        ['com.docker.compose.project=shop', 'com.docker.compose.service=web']],
      ['one service asked twice: still exactly its labels', [{ project: 'shop', service: 'web' }, { project: 'shop', service: 'web' }],
        ['com.docker.compose.project=shop', 'com.docker.compose.service=web']],
      ['several services of one project: the project', [{ project: 'shop', service: 'web' }, { project: 'shop', service: 'api' }],
        ['com.docker.compose.project=shop', 'com.docker.compose.service']],
      ['several projects: any compose container', [{ project: 'shop', service: 'web' }, { project: 'blog', service: 'web' }],
        ['com.docker.compose.project', 'com.docker.compose.service']],
    ];
    for (const [name, asked, filter] of cases) {
      it(name, () => expect(composeListFilter(asked)).to.deep.equal(filter));
    }
  });

  it('containersOf picks one service by both labels (same service name in another project is not it)', () => {
    const listed = [info('a', 'shop', 'web'), info('b', 'blog', 'web'), info('c', 'shop', 'api')];
    expect(containersOf(listed, 'shop', 'web').map((c) => c.Id)).to.deep.equal(['a']);
  });

  it('lists asked in the same turn are one call; each caller gets its own service', async () => {
    const engine = fakeEngine([info('a', 'shop', 'web'), info('b', 'blog', 'web'), info('c', 'shop', 'api'), info('d', 'other', 'x')]);
    const batch = new ContainerListBatch();
    const [web, blog, api] = await Promise.all([batch.list(engine, 'shop', 'web'), batch.list(engine, 'blog', 'web'), batch.list(engine, 'shop', 'api')]);
    expect(engine.calls).to.have.length(1);
    expect([web, blog, api].map((l) => l.map((c) => c.Id))).to.deep.equal([['a'], ['b'], ['c']]);
  });

  it('a list asked on its own is the narrow call it always was; a later turn is a new call (never a stale answer)', async () => {
    const engine = fakeEngine([info('a', 'shop', 'web')]);
    const batch = new ContainerListBatch();
    expect((await batch.list(engine, 'shop', 'web')).map((c) => c.Id)).to.deep.equal(['a']);
    expect((await batch.list(engine, 'shop', 'web')).map((c) => c.Id)).to.deep.equal(['a']);
    expect(engine.calls).to.deep.equal([
      ['com.docker.compose.project=shop', 'com.docker.compose.service=web'],
      ['com.docker.compose.project=shop', 'com.docker.compose.service=web'],
    ]);
  });

  it('each engine is its own call', async () => {
    const one = fakeEngine([info('a', 'shop', 'web')]);
    const two = fakeEngine([info('b', 'shop', 'web')]);
    const batch = new ContainerListBatch();
    const lists = await Promise.all([batch.list(one, 'shop', 'web'), batch.list(two, 'shop', 'web')]);
    expect(lists.map((l) => l.map((c) => c.Id))).to.deep.equal([['a'], ['b']]);
    expect([one.calls.length, two.calls.length]).to.deep.equal([1, 1]);
  });

  it('a failed call fails every caller of that turn with the engine\'s error', async () => {
    const engine = fakeEngine([], new Error('connect ENOENT /var/run/docker.sock'));
    const batch = new ContainerListBatch();
    const results = await Promise.allSettled([batch.list(engine, 'shop', 'web'), batch.list(engine, 'blog', 'web')]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).to.deep.equal(['Error: connect ENOENT /var/run/docker.sock', 'Error: connect ENOENT /var/run/docker.sock']);
    expect(engine.calls).to.have.length(1);
  });
});
