import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DesiredStateSource } from '../src/desired/desired-source';
import { checkDesiredStateOnHost, parseDesiredState } from '../src/desired/desired-state';
import { instanceBelongsTo } from '../src/plan/instance-match';
import { classifyComposeFailure, composeScaleArgs } from '../src/backends/compose/compose-runner';
import { CoalescingRunner, parseHealthService } from '@consul-sidecars/core';
import { splitCommand } from '../src/act/alert-hook';
import { container, instance } from './fixtures';

const scale = { composeProject: 'shop', composeFile: 'compose.yml', composeService: 'web' };

describe('healer desired-state file', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['missing min', { services: { web: { scale } } }, /services\.web\.min .*required/],
    ['negative min', { services: { web: { min: -1, scale } } }, /services\.web\.min must be >= 0 \(got -1\)/],
    ['max below min', { services: { web: { min: 3, max: 2, scale } } }, /services\.web\.max \(2\) is below services\.web\.min \(3\)/],
    ['unknown field', { services: { web: { min: 1, scale, replicas: 3 } } }, /services\.web\.replicas is not a known setting/],
    ['bad project name', { services: { web: { min: 1, scale: { ...scale, composeProject: 'Shop Front' } } } }, /services\.web\.scale\.composeProject must match/],
    ['missing compose file', { services: { web: { min: 1, scale: { composeProject: 'shop', composeService: 'web' } } } }, /services\.web\.scale\.composeFile .*required/],
    ['bad grace period', { services: { web: { min: 1, scale, gracePeriod: 'soon' } } }, /services\.web\.gracePeriod .*invalid duration "soon"/],
    ['bad docker host', { services: { web: { min: 1, scale: { ...scale, dockerHost: 'localhost:2375' } } } }, /services\.web\.scale\.dockerHost must match/],
    ['two services on one compose service', { services: { web: { min: 1, scale }, www: { min: 1, scale } } }, /services\.www\.scale names the same compose service as services\.web/],
    ['no services', { services: {} }, /services must NOT have fewer than 1 properties/],
    ['bad policy', { services: { web: { min: 1, scale } }, policy: { backoffBase: 'x' } }, /policy\.backoffBase/],
    ['a docker host scheme the engine client cannot use', { services: { web: { min: 1, scale: { ...scale, dockerHost: 'npipe:////./pipe/docker_engine' } } } }, /services\.web\.scale\.dockerHost: unsupported scheme "npipe"/],
    ['a docker host port out of range', { services: { web: { min: 1, scale: { ...scale, dockerHost: 'tcp://swarm-manager:99999' } } } }, /services\.web\.scale\.dockerHost: port "99999" is not 1\.\.65535/],
    ['a backend kind there is none of', { services: { web: { min: 1, scale: { ...scale, kind: 'nomad' } } } }, /services\.web\.scale\.kind must be equal to constant \(got "nomad"\)/],
  ];
  for (const [name, data, pattern] of bad) {
    it(`rejects ${name}, naming the service and field`, () => {
      expect(() => parseDesiredState(data, { baseDir: '/srv' })).to.throw(pattern);
    });
  }

  it('parses a good file: durations, defaults, a relative compose file resolved against the file', () => {
    const state = parseDesiredState({ services: { web: { min: 2, max: 4, tag: 'v2', gracePeriod: '45s', scale } }, policy: { backoffBase: '1s' } }, { baseDir: '/srv/app' });
    expect(state.services[0]).to.deep.include({ name: 'web', min: 2, max: 4, tag: 'v2', graceMs: 45_000 });
    expect(state.services[0].scale).to.have.property('composeFile', '/srv/app/compose.yml');
    expect(state.policy.backoffBaseMs).to.equal(1000);
    expect(state.policy.maxActionsPerWindow).to.equal(5);
  });

  it('scale.kind names the backend; absent, it is compose (files written before backends had names)', () => {
    const implicit = parseDesiredState({ services: { web: { min: 1, scale } } }, { baseDir: '/srv' });
    const explicit = parseDesiredState({ services: { web: { min: 1, scale: { ...scale, kind: 'compose' } } } }, { baseDir: '/srv' });
    expect(implicit.services[0].scale).to.deep.equal({ kind: 'compose', composeProject: 'shop', composeFile: '/srv/compose.yml', composeService: 'web' });
    expect(explicit).to.deep.equal(implicit);
  });

  describe('checkDesiredStateOnHost (healer validate: what parsing cannot know)', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'healer-host-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const cases: Array<[string, (dir: string) => string, RegExp | undefined]> = [
      ['a compose file that exists', (d) => (writeFileSync(join(d, 'c.yml'), 'services: {}\n'), 'c.yml'), undefined],
      ['a missing compose file', () => 'gone.yml', /services\.web\.scale\.composeFile: \/.*\/gone\.yml does not exist/],
      ['a directory where the compose file should be', () => '.', /services\.web\.scale\.composeFile: \/.* is not a file/],
    ];
    for (const [name, make, error] of cases) {
      it(`${name}: ${error ? 'rejected, naming the service, field and path' : 'accepted'}`, () => {
        const state = parseDesiredState({ services: { web: { min: 1, scale: { ...scale, composeFile: make(dir) } } } }, { baseDir: dir });
        if (error) expect(() => checkDesiredStateOnHost(state)).to.throw(error);
        else expect(() => checkDesiredStateOnHost(state)).to.not.throw();
      });
    }
  });

  describe('reload', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'healer-desired-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('a broken edit keeps the last good state and says what is wrong', () => {
      const file = join(dir, 'desired.json');
      writeFileSync(file, JSON.stringify({ services: { web: { min: 3, scale } } }));
      const source = new DesiredStateSource(file);
      expect(source.load().services[0].min).to.equal(3);
      writeFileSync(file, '{ "services": { "web": { "min": 3, ');
      const broken = source.reloadIfModified();
      expect(broken.error?.message).to.match(/not valid JSON/);
      expect(source.current.services[0].min).to.equal(3);
      writeFileSync(file, JSON.stringify({ services: { web: { min: 'three', scale } } }));
      expect(source.reload().error?.message).to.match(/services\.web\.min must be integer \(got "three"\)/);
      expect(source.current.services[0].min).to.equal(3);
      writeFileSync(file, JSON.stringify({ services: { web: { min: 4, scale } } }));
      expect(source.reload()).to.deep.equal({ changed: true });
      expect(source.current.services[0].min).to.equal(4);
      expect(source.lastError).to.equal(undefined);
    });

    it('the first load of a broken file is fatal', () => {
      const file = join(dir, 'desired.json');
      writeFileSync(file, JSON.stringify({ services: { web: { min: 1 } } }));
      expect(() => new DesiredStateSource(file).load()).to.throw(/services\.web\.scale/);
    });
  });
});

describe('healer live-state normalisation', () => {
  const entry = (id: string, checks: Array<[string, string, string?]>) => ({
    Node: { Node: 'n1', Address: '10.0.0.1' },
    Service: { ID: id, Service: 'web', Tags: ['v1'], Address: '', Port: 8080, Meta: null },
    Checks: checks.map(([CheckID, Status, ServiceID]) => ({ CheckID, Status, ServiceID: ServiceID ?? '' })),
  });
  const cases: Array<[string, ReturnType<typeof entry>, string, string | undefined]> = [
    ['all passing', entry('a', [['serfHealth', 'passing'], ['service:a', 'passing', 'a']]), 'passing', undefined],
    ['service check critical', entry('a', [['serfHealth', 'passing'], ['service:a', 'critical', 'a']]), 'critical', undefined],
    ['warning is not passing', entry('a', [['service:a', 'warning', 'a']]), 'warning', undefined],
    ['node check failing fails every instance on it', entry('a', [['serfHealth', 'critical'], ['service:a', 'passing', 'a']]), 'critical', undefined],
    ['node maintenance', entry('a', [['_node_maintenance', 'critical'], ['service:a', 'passing', 'a']]), 'critical', 'node'],
    ['service maintenance', entry('a', [['_service_maintenance:a', 'critical', 'a'], ['service:a', 'passing', 'a']]), 'critical', 'service'],
    ['no checks at all is passing (as in Consul)', entry('a', []), 'passing', undefined],
  ];
  for (const [name, raw, status, maintenance] of cases) {
    it(name, () => {
      const [i] = parseHealthService([raw]);
      expect(i.Status).to.equal(status);
      expect(i.Maintenance).to.equal(maintenance);
      expect(i.Address).to.equal('10.0.0.1');
    });
  }

  const rejected: Array<[string, unknown, RegExp]> = [
    ['a non-list answer', { error: 'x' }, /a list of health entries/],
    ['a port that is a string', [{ ...entry('a', []), Service: { ...entry('a', []).Service, Port: '80' } }], /\[0\]\.Service\.Port/],
    ['a check status Consul does not write', [entry('a', [['service:a', 'fine', 'a']])], /\[0\]\.Checks\[0\]\.Status/],
  ];
  for (const [name, raw, message] of rejected) {
    it(`rejects ${name} (ERR_CONSUL_PAYLOAD, naming the field), never coerces it`, () => {
      expect(() => parseHealthService(raw)).to.throw(message).with.property('code', 'ERR_CONSUL_PAYLOAD');
    });
  }

  it('matches instances to containers by name, id or meta', () => {
    const c = container('shop_web_2');
    expect(instanceBelongsTo(instance('shop_web_2'), c)).to.equal(true);
    expect(instanceBelongsTo({ ...instance('x'), ID: c.id.slice(0, 12) }, c)).to.equal(true);
    expect(instanceBelongsTo({ ...instance('x'), Meta: { container_id: c.id } }, c)).to.equal(true);
    expect(instanceBelongsTo(instance('shop_web_20'), c)).to.equal(false);
  });
});

describe('healer compose runner', () => {
  it('builds an argument array pinned to one service', () => {
    expect(composeScaleArgs({ ...scale, kind: 'compose', composeFile: '/srv/c.yml' }, 3)).to.deep.equal(['-p', 'shop', '-f', '/srv/c.yml', 'up', '-d', '--no-deps', '--no-recreate', '--scale', 'web=3', 'web']);
  });
  const cases: Array<[string, string, boolean]> = [
    ['ERROR: pull access denied for nosuch/image, repository does not exist or may require \'docker login\'', 'image-missing', true],
    ['ERROR: for web  Cannot start service web: driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:8080 failed: port is already allocated', 'port-conflict', true],
    ['ERROR: for shop_web_2  Cannot create container for service web: Conflict. The container name "/shop_web_2" is already in use by container "abc"', 'name-conflict', false],
    ['ERROR: The Compose file \'./c.yml\' is invalid because:\nservices.web.ports is invalid', 'compose-error', true],
    ['ERROR: No such service: wbe', 'compose-error', true],
    ['Error response from daemon: i/o timeout', 'compose-error', false],
  ];
  for (const [output, failure, deterministic] of cases) {
    it(`classifies ${failure}${deterministic ? ' (not retried blindly)' : ''}: ${output.slice(0, 50)}`, () => {
      expect(classifyComposeFailure(output)).to.deep.equal({ failure, deterministic });
    });
  }
  it('a timeout is transient', () => {
    expect(classifyComposeFailure('', true)).to.deep.equal({ failure: 'timeout', deterministic: false });
  });
});

describe('healer coalescing pass runner', () => {
  it('a burst of hints costs at most two passes, which never overlap', async () => {
    let running = 0;
    let overlap = false;
    const seen: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runner = new CoalescingRunner(async (reasons: string[]) => {
      running++;
      if (running > 1) overlap = true;
      seen.push(reasons);
      if (seen.length === 1) await gate;
      running--;
      return seen.length;
    }, 10);
    const first = runner.request('a');
    const burst = [runner.request('b'), runner.request('c')];
    // Wait until the first pass is running, then hint more: they all join one follow-up pass.
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    const late = [runner.request('d'), runner.request('e'), runner.request('f')];
    release();
    expect(await first).to.equal(1);
    expect(await Promise.all(burst)).to.deep.equal([1, 1]);
    expect(await Promise.all(late)).to.deep.equal([2, 2, 2]);
    expect(seen).to.deep.equal([['a', 'b', 'c'], ['d', 'e', 'f']]);
    expect(overlap).to.equal(false);
    await runner.stop();
  });
});

describe('healer alert command', () => {
  it('splits on whitespace with no shell', () => {
    expect(splitCommand(' /usr/bin/sms  --to ops ')).to.deep.equal(['/usr/bin/sms', '--to', 'ops']);
  });
});
