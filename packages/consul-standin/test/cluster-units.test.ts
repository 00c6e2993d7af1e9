// Unit tables for the cluster's pure pieces: which server answers a datacenter, and members as Serf prints them.

import { expect } from 'chai';
import { HttpError } from '../src/errors';
import { Federation, normaliseBaseUrl } from '../src/federation';
import { MemberStatus, memberView } from '../src/member-view';

describe('consul-standin cluster units', () => {
  describe('Federation', () => {
    const federation = new Federation('dc1');
    federation.join('dc3', '127.0.0.1:9503');
    federation.join('dc2', 'http://127.0.0.1:9502/');

    it('lists the local datacenter first, then the others by name', () => {
      expect(federation.datacenters()).to.deep.equal(['dc1', 'dc2', 'dc3']);
    });

    const cases: [string, string | RegExp][] = [
      ['dc2', 'http://127.0.0.1:9502'],
      ['dc3', 'http://127.0.0.1:9503'],
      ['dc9', /^No path to datacenter$/],
    ];
    for (const [dc, expected] of cases) {
      it(`routes ${dc} to ${String(expected)}`, () => {
        if (typeof expected === 'string') expect(federation.urlOf(dc)).to.equal(expected);
        else {
          const thrown = (() => {
            try {
              federation.urlOf(dc);
            } catch (err) {
              return err as HttpError;
            }
            return undefined;
          })();
          expect(thrown?.status).to.equal(500);
          expect(thrown?.message).to.match(expected);
        }
      });
    }

    it('refuses to federate with itself or a nameless datacenter', () => {
      expect(() => federation.join('dc1', '127.0.0.1:1')).to.throw(/own/);
      expect(() => federation.join('', '127.0.0.1:1')).to.throw(/must not be empty/);
    });

    it('normalises addresses to base URLs', () => {
      expect(normaliseBaseUrl('10.0.0.1:8500')).to.equal('http://10.0.0.1:8500');
      expect(normaliseBaseUrl('https://c.example:8501//')).to.equal('https://c.example:8501');
    });
  });

  describe('memberView', () => {
    const base = { name: 'n1', address: '10.0.0.1', datacenter: 'dc1', id: 'id-1', version: '1.18.1', acls: false };
    const statuses: [MemberStatus, number][] = [['alive', 1], ['leaving', 2], ['left', 3], ['failed', 4]];
    for (const [status, code] of statuses) {
      it(`prints ${status} as Status ${code}`, () => {
        expect(memberView({ ...base, role: 'client', status }).Status).to.equal(code);
      });
    }

    it('tags servers with role consul, their RPC port and raft version; clients with role node', () => {
      const server = memberView({ ...base, role: 'server', status: 'alive' }).Tags as Record<string, string>;
      const client = memberView({ ...base, role: 'client', status: 'alive' }).Tags as Record<string, string>;
      expect(server).to.include({ role: 'consul', port: '8300', raft_vsn: '3', dc: 'dc1', id: 'id-1' });
      expect(client).to.include({ role: 'node', dc: 'dc1' });
      expect(client).to.not.have.any.keys('port', 'raft_vsn');
      expect(Object.keys(server)).to.deep.equal(['acls', 'build', 'dc', 'id', 'port', 'raft_vsn', 'role', 'segment', 'vsn', 'vsn_max', 'vsn_min']);
    });
  });
});
