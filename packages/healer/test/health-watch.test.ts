// The health hint: one blocking query for every desired service; which services a change of checks names.

import { expect } from 'chai';
import type { HealthCheck } from '@consul-sidecars/core';
import { changedServices, serviceCheckFingerprints } from '../src/triggers/health-watch';

const check = (node: string, service: string, status: HealthCheck['Status'], id = service ? `service:${service}` : 'serfHealth'): HealthCheck =>
  ({ Node: node, CheckID: id, Name: id, Status: status, Notes: '', Output: '', ServiceID: service ? `${node}:${service}:80` : '', ServiceName: service, ServiceTags: [], Type: '' });

describe('healer health hint (one query for all desired services)', () => {
  const desired = new Set(['web', 'api']);
  const base = [check('n1', '', 'passing'), check('n2', '', 'passing'), check('n1', 'web', 'passing'), check('n2', 'api', 'passing'), check('n2', 'other', 'passing')];
  const fp = (checks: HealthCheck[]) => serviceCheckFingerprints(checks, desired);

  const cases: Array<[string, HealthCheck[], string[]]> = [
    ['nothing changed', base, []],
    ['a service check of web turns critical', base.map((c) => (c.ServiceName === 'web' ? { ...c, Status: 'critical' } : c)), ['web']],
    ['the node api runs on dies (serfHealth)', base.map((c) => (c.Node === 'n2' && c.ServiceID === '' ? { ...c, Status: 'critical' } : c)), ['api']],
    ['a service nobody desires changes', base.map((c) => (c.ServiceName === 'other' ? { ...c, Status: 'critical' } : c)), []],
    ['a second web instance appears', [...base, check('n2', 'web', 'passing')], ['web']],
    ['every api instance is gone', base.filter((c) => c.ServiceName !== 'api'), ['api']],
  ];
  for (const [name, after, changed] of cases) {
    it(`${name} -> ${changed.length ? changed.join(', ') : 'no hint'}`, () => {
      expect(changedServices(fp(base), fp(after), desired)).to.deep.equal(changed);
    });
  }
  it('the first answer names every desired service (one coalesced pass)', () => {
    expect(changedServices(undefined, fp(base), desired)).to.deep.equal(['web', 'api']);
  });
});
