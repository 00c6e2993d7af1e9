// Compose across hosts: heal only on hosts whose Consul node passes, spreading by instance count; a host whose
// node is critical is never a target.

import { expect } from 'chai';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { ComposeRunner, type ComposeResult } from '../src/backends/compose/compose-runner';
import type { ComposeTarget } from '../src/backends/compose/compose-target';
import { parseDesiredState } from '../src/desired/desired-state';
import { emptyMemory } from '../src/plan/memory';
import { spreadAcrossHosts } from '../src/plan/placement';
import { plan } from '../src/plan/plan';
import { NOW, container, desired, instance, live, spec } from './fixtures';

describe('healer compose across hosts', () => {
  describe('spreadAcrossHosts (fewest first, passing hosts only)', () => {
    const cases: Array<[string, Record<string, number>, string[], number, string]> = [
      ['one to the emptier host', { h1: 2, h2: 1 }, ['h1', 'h2'], 1, 'h2=2(+1)'],
      ['evens out before piling on', { h1: 2, h2: 0 }, ['h1', 'h2'], 3, 'h1=3(+1) h2=2(+2)'],
      ['a critical host is never a target, even when empty', { h1: 1, h2: 1, h3: 0 }, ['h1', 'h2'], 2, 'h1=2(+1) h2=2(+1)'],
      ['a passing host with none yet counts 0', { h1: 1 }, ['h1', 'h2'], 1, 'h2=1(+1)'],
      ['ties go by name (a deterministic plan)', { h1: 1, h2: 1 }, ['h2', 'h1'], 1, 'h1=2(+1)'],
    ];
    for (const [name, kept, passing, add, expected] of cases) {
      it(`${name}: ${expected}`, () => {
        const out = spreadAcrossHosts(kept, passing, add)!;
        expect(out.map((p) => `${p.host}=${p.total}(+${p.add})`).join(' ')).to.equal(expected);
      });
    }
    it('no passing host: nowhere to heal', () => {
      expect(spreadAcrossHosts({ h1: 1 }, [], 1)).to.equal(undefined);
    });
  });

  describe('in the plan', () => {
    const hosts = { h1: 'unix:///h1.sock', h2: 'unix:///h2.sock', h3: 'unix:///h3.sock' };
    const web = spec('web', 4, { scale: { kind: 'compose', composeProject: 'p', composeFile: '/c.yml', composeService: 'web', hosts } });
    const c = (name: string, host: string, state: 'running' | 'exited' = 'running') => ({ ...container(name, state), host });
    it('h3 dead (critical node): its instance is made up on the passing host with fewer, never on h3', () => {
      const containers = [c('web_1', 'h1'), c('web_2', 'h1'), c('web_3', 'h2'), c('web_4', 'h3')];
      const instances = [instance('web_1'), instance('web_2'), instance('web_3'), instance('web_4', 'critical', { FailingChecks: ['serfHealth'] })];
      const p = plan(desired([web]), live([{ service: 'web', containers, instances, hostsPassing: { h1: true, h2: true, h3: false } }]), emptyMemory(), NOW);
      const scale = p.decisions[0].actions.find((a) => a.kind === 'scale');
      expect(p.decisions[0].actions.map((a) => a.kind), 'nothing removed on the dead host').to.deep.equal(['scale']);
      expect(scale).to.deep.include({ kind: 'scale', add: 1 });
      expect(scale?.kind === 'scale' && scale.placements).to.deep.equal([{ host: 'h2', total: 2, add: 1 }]);
    });
    it('every host critical: holds, saying there is no host to heal on', () => {
      const p = plan(desired([web]), live([{ service: 'web', containers: [], instances: [], hostsPassing: { h1: false, h2: false, h3: false } }]), emptyMemory(), NOW);
      expect(p.decisions[0].actions).to.deep.equal([]);
      expect(p.decisions[0].reason).to.match(/no host whose Consul node passes/);
    });
  });

  describe('its target', () => {
    const base = { composeProject: 'p', composeFile: '/c.yml', composeService: 'web' };
    it('accepts hosts (DOCKER_HOST per Consul node name)', () => {
      const s = parseDesiredState({ services: { web: { min: 1, scale: { ...base, hosts: { h1: 'unix:///h1.sock' } } } } });
      expect(s.services[0].scale).to.have.deep.property('hosts', { h1: 'unix:///h1.sock' });
    });
    const bad: Array<[string, unknown, RegExp]> = [
      ['hosts and dockerHost both', { ...base, dockerHost: 'unix:///x.sock', hosts: { h1: 'unix:///h1.sock' } }, /services\.web\.scale\.hosts and services\.web\.scale\.dockerHost/],
      ['a host engine that is no DOCKER_HOST', { ...base, hosts: { h1: 'h1:2375' } }, /services\.web\.scale\.hosts\.h1 must match/],
      ['no hosts at all', { ...base, hosts: {} }, /services\.web\.scale\.hosts must NOT have fewer than 1 properties/],
    ];
    for (const [name, scale, pattern] of bad) {
      it(`rejects ${name}, naming the field`, () => {
        expect(() => parseDesiredState({ services: { web: { min: 1, scale } } })).to.throw(pattern);
      });
    }
  });

  describe('the backend', () => {
    it('runs compose once per placement, against that host\'s engine, to that host\'s total', async () => {
      const runs: Array<[string | undefined, number]> = [];
      class Recording extends ComposeRunner {
        override async scale(target: ComposeTarget, total: number): Promise<ComposeResult> {
          runs.push([target.dockerHost, total]);
          return { ok: true, deterministic: false, exitCode: 0, durationMs: 1, stdout: '', stderr: '', argv: [] };
        }
      }
      const backend = new ComposeBackend({ runner: new Recording(), listContainers: async () => [] });
      const target: ComposeTarget = { kind: 'compose', composeProject: 'p', composeFile: '/c.yml', composeService: 'web', hosts: { h1: 'unix:///h1.sock', h2: 'unix:///h2.sock' } };
      expect(await backend.scale(target, 5, { timeoutMs: 1000, placements: [{ host: 'h1', total: 3, add: 1 }, { host: 'h2', total: 2, add: 1 }] })).to.deep.equal({ ok: true });
      expect(runs).to.deep.equal([['unix:///h1.sock', 3], ['unix:///h2.sock', 2]]);
      expect(backend.hostsOf(target)).to.deep.equal(['h1', 'h2']);
    });
    it('removes each failed container through its own host\'s engine', async () => {
      const removed: Array<[string, string | undefined]> = [];
      const backend = new ComposeBackend({
        listContainers: async () => [{ ...container('web_1'), host: 'h2' }],
        removeContainers: async (_t, ids, hostOf) => void ids.forEach((id) => removed.push([id, hostOf?.(id)])),
      });
      const id = container('web_1').id;
      await backend.remove({ kind: 'compose', composeProject: 'p', composeFile: '/c.yml', composeService: 'web', hosts: { h2: 'unix:///h2.sock' } }, [id]);
      expect(removed).to.deep.equal([[id, 'h2']]);
    });
  });
});
