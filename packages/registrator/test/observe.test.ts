// The observer's pure decisions as tables: which listed containers a full reconcile inspects, and what an uninspected one defines.

import { expect } from 'chai';
import { inspectionNeeded } from '../src/observe/container-observer';
import type { ContainerStatus } from '../src/observe/container-inspect';
import { uninspectedDefinition, type DeregisterMode, type Disposition } from '../src/plan/service-definitions';

const ID = 'a'.repeat(64);

describe('registrator observe: which containers a full reconcile inspects', () => {
  const CASES: Array<{ title: string; status: ContainerStatus; labels?: Record<string, string>; owns?: boolean; filter?: { key: string; value?: string }; want: boolean }> = [
    { title: 'running: inspected', status: 'running', want: true },
    { title: 'paused: inspected', status: 'paused', want: true },
    { title: 'restarting: inspected', status: 'restarting', want: true },
    { title: 'exited, owning nothing: not inspected', status: 'exited', want: false },
    { title: 'created, owning nothing: not inspected', status: 'created', want: false },
    { title: 'exited but owning services (on-success needs its exit code): inspected', status: 'exited', owns: true, want: true },
    { title: 'running outside -label-filter: not inspected', status: 'running', filter: { key: 'team' }, want: false },
    { title: 'running with the filter label: inspected', status: 'running', labels: { team: 'x' }, filter: { key: 'team' }, want: true },
    { title: 'running with the filter label but another value: not inspected', status: 'running', labels: { team: 'y' }, filter: { key: 'team', value: 'x' }, want: false },
    { title: 'outside -label-filter but owning services: inspected', status: 'running', owns: true, filter: { key: 'team' }, want: true },
  ];
  for (const c of CASES) {
    it(c.title, () => {
      const owners = new Set<string | undefined>(c.owns ? [ID] : ['b'.repeat(64), undefined]);
      expect(inspectionNeeded({ id: ID, status: c.status, labels: c.labels ?? {} }, owners, c.filter)).to.equal(c.want);
    });
  }
});

describe('registrator observe: a listed container that was not inspected', () => {
  const CASES: Array<[ContainerStatus, DeregisterMode, Disposition]> = [
    ['exited', 'always', 'remove'],
    ['exited', 'on-success', 'remove'],
    ['exited', 'never', 'keep'],
    ['running', 'always', 'remove'], // outside -label-filter: whatever it owned goes
    ['running', 'never', 'remove'],
    ['created', 'never', 'keep'],
  ];
  for (const [status, mode, want] of CASES) {
    it(`${status}, -deregister ${mode}: ${want}, no services`, () => {
      const def = uninspectedDefinition({ id: ID, name: 'web', status }, mode);
      expect(def).to.deep.equal({ containerId: ID, containerName: 'web', disposition: want, services: [], warnings: [] });
    });
  }
});
