// Small pure pieces: flags, metadata precedence, Meta key rules, docker event parsing, shell words, roles.

import { expect } from 'chai';
import { silentLogger } from '@consul-sidecars/core';
import { reconcileOnce } from '../src/daemon';
import { isIgnored, isUnclearIgnore, parseTags, serviceMetadata } from '../src/plan/container-metadata';
import { parseContainerInspect } from '../src/observe/container-inspect';
import { parseDockerEvent, sinceParameter } from '../src/observe/docker-events';
import { parseRegistratorArgs, parseRegistryUri, UsageError } from '../src/options';
import { planPromotion } from '../src/plan/promotion';
import { normaliseRolePrefix, roleKey } from '../src/role-keys';
import { rolesFromKv } from '../src/observe/role-watch';
import { isGoDuration, isZeroDuration, shellWords } from '../src/plan/service-checks';
import { metaKeyProblem } from '../src/plan/service-meta';
import { interfaceAddress } from '../src/observe/host-ip';

describe('registrator flags (gliderlabs usage)', () => {
  const ok: Array<[string[], Record<string, unknown>]> = [
    [['consul://'], { registry: { scheme: 'http', host: '127.0.0.1', port: 8500 } }],
    [['consul://10.0.0.5:8600'], { registry: { scheme: 'http', host: '10.0.0.5', port: 8600 } }],
    [['consul-tls://consul.local'], { registry: { scheme: 'https', host: 'consul.local', port: 8501 } }],
    [['-ip', '1.2.3.4', '--internal', '-explicit', 'consul://h:1'], { ip: '1.2.3.4', internal: true, explicit: true }],
    [['-ip=1.2.3.4', '-tags', 'a, b', 'consul://h:1'], { ip: '1.2.3.4', tags: ['a', 'b'] }],
    [['-ttl', '30', '-ttl-refresh', '10', 'consul://h:1'], { ttl: 30, ttlRefresh: 10 }],
    [['-resync', '60', '-deregister', 'on-success', '-cleanup', 'consul://h:1'], { resync: 60, deregister: 'on-success', cleanup: true }],
    [['-deregister=never', '-retry-attempts', '3', '-retry-interval', '500', 'consul://h:1'], { deregister: 'never', retryAttempts: 3, retryIntervalMs: 500 }],
    [['--once', '--dry-run', '-metrics-port', '0', '-roles=false', 'consul://h:1'], { once: true, dryRun: true, opsPort: 0, roles: false }],
    [['-useIpFromLabel', 'ip', '-hostname', 'n1', 'consul://h:1'], { useIpFromLabel: 'ip', hostname: 'n1' }],
  ];
  for (const [argv, want] of ok) {
    it(`accepts ${argv.join(' ')}`, () => {
      expect(parseRegistratorArgs(argv, {})).to.deep.include(want);
    });
  }
  const bad: Array<[string[], string]> = [
    [[], 'missing the registry URI'],
    [['consul://h:1', '-ip', '1.2.3.4'], 'exactly one registry URI'],
    [['-deregister', 'maybe', 'consul://h:1'], '-deregister'],
    [['-ttl', '10', 'consul://h:1'], '-ttl-refresh must be set'],
    [['-ttl', '10', '-ttl-refresh', '10', 'consul://h:1'], 'greater than -ttl-refresh'],
    [['-retry-interval', '0', 'consul://h:1'], '-retry-interval'],
    [['-tags', '{{.Config.Hostname}}', 'consul://h:1'], 'Go templates'],
    [['-bogus', 'consul://h:1'], 'unknown flag'],
    [['zookeeper://h/x'], 'unsupported registry'],
    [['-resync', 'soon', 'consul://h:1'], 'invalid number'],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${argv.join(' ') || '(nothing)'} with a usage error`, () => {
      expect(() => parseRegistratorArgs(argv, {})).to.throw(UsageError, message);
    });
  }
  it('takes the ops port from REGISTRATOR_OPS_PORT (the image HEALTHCHECK), the flag winning', () => {
    expect(parseRegistratorArgs(['consul://h:1'], { REGISTRATOR_OPS_PORT: '9464' }).opsPort).to.equal(9464);
    expect(parseRegistratorArgs(['-metrics-port', '7000', 'consul://h:1'], { REGISTRATOR_OPS_PORT: '9464' }).opsPort).to.equal(7000);
    expect(parseRegistratorArgs(['consul://h:1'], {}).opsPort).to.equal(undefined);
  });
  it('parses registry URIs with IPv6 hosts', () => {
    expect(parseRegistryUri('consul://[::1]:8500')).to.deep.equal({ scheme: 'http', host: '::1', port: 8500 });
  });
});

describe('registrator SERVICE_* metadata', () => {
  it('reads env then labels; lower-cases keys; port keys only for their port', () => {
    const m = serviceMetadata(['SERVICE_NAME=env', 'SERVICE_80_TAGS=x', 'OTHER=1', 'SERVICE_NOVALUE'], { SERVICE_NAME: 'label', SERVICE_443_NAME: 'tls', SERVICE_Version: '2' }, '80');
    expect(Object.fromEntries(m.values)).to.deep.equal({ name: 'label', tags: 'x', version: '2' });
    expect([...m.fromPort]).to.deep.equal(['tags']);
    expect(m.sources.get('name')).to.deep.equal({ kind: 'label', key: 'SERVICE_NAME' });
  });
  const ignore: Array<[string | undefined, boolean]> = [[undefined, false], ['', false], ['false', false], ['0', false], ['no', false], ['true', true], ['1', true], ['yes', true], ['anything', true]];
  for (const [value, want] of ignore) it(`SERVICE_IGNORE=${value} -> ${want}`, () => expect(isIgnored(value)).to.equal(want));
  const unclear: Array<[string | undefined, boolean]> = [[undefined, false], ['', false], ['false', false], ['TRUE', false], [' yes ', false], ['flase', true], ['ignore', true]];
  for (const [value, want] of unclear) it(`SERVICE_IGNORE=${value} is ${want ? '' : 'not '}worth a warning`, () => expect(isUnclearIgnore(value)).to.equal(want));
  it('parses SERVICE_TAGS', () => {
    expect(parseTags('a,b\\,c,, d ,')).to.deep.equal(['a', 'b,c', 'd']);
    expect(parseTags(undefined)).to.deep.equal([]);
  });
});

describe('registrator Meta and duration rules', () => {
  const keys: Array<[string, boolean]> = [['version', true], ['a_b-C9', true], ['com.foo', false], ['consul-x', false], ['Consul-X', false], ['registrator-node', false], ['x'.repeat(129), false], ['', false]];
  for (const [key, valid] of keys) it(`Meta key "${key.slice(0, 20)}" is ${valid ? 'valid' : 'invalid'}`, () => expect(metaKeyProblem(key) === undefined).to.equal(valid));
  const durations: Array<[string, boolean]> = [['10s', true], ['1m30s', true], ['250ms', true], ['0', true], ['1.5h', true], ['10', false], ['soon', false], ['', false], ['-1s', false]];
  for (const [d, valid] of durations) it(`duration "${d}" is ${valid ? 'valid' : 'invalid'}`, () => expect(isGoDuration(d)).to.equal(valid));
  const zeros: Array<[string, boolean]> = [['0', true], ['0s', true], ['0m0s', true], ['0.0s', true], ['10s', false], ['0.5s', false], ['1m0s', false], ['soon', false]];
  for (const [d, zero] of zeros) it(`duration "${d}" is ${zero ? '' : 'not '}zero`, () => expect(isZeroDuration(d)).to.equal(zero));
  it('splits script checks like a shell', () => {
    expect(shellWords(`check --url 'http://x/a b' "q\\"x" plain\\ space`)).to.deep.equal(['check', '--url', 'http://x/a b', 'q"x', 'plain space']);
    expect(shellWords('  ')).to.deep.equal([]);
  });
});

describe('registrator docker edge parsing', () => {
  it('an unusable DOCKER_HOST stops the daemon with ERR_DOCKER_HOST naming the variable and value (core\'s parser)', async () => {
    const config = parseRegistratorArgs(['-retry-attempts', '-1', 'consul://127.0.0.1:1']);
    let err: unknown;
    try {
      await reconcileOnce(config, { logger: silentLogger(), env: { DOCKER_HOST: 'npipe:////./pipe/docker_engine' } });
    } catch (e) {
      err = e;
    }
    expect(err).to.have.property('code', 'ERR_DOCKER_HOST');
    expect(String(err)).to.contain('DOCKER_HOST').and.contain('npipe');
  });
  it('keeps the container events that matter and network connects', () => {
    expect(parseDockerEvent({ Type: 'container', Action: 'start', Actor: { ID: 'abc' }, timeNano: 5 })).to.deep.include({ containerId: 'abc', action: 'start' });
    expect(parseDockerEvent({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'abc' }, timeNano: 5 })).to.deep.include({ action: 'health_status' });
    expect(parseDockerEvent({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'abc' } })).to.equal(undefined);
    expect(parseDockerEvent({ Type: 'network', Action: 'connect', Actor: { ID: 'net', Attributes: { container: 'abc' } } })).to.deep.include({ containerId: 'abc', type: 'network' });
    expect(parseDockerEvent({ Type: 'image', Action: 'pull', Actor: { ID: 'x' } })).to.equal(undefined);
  });
  it('formats since with nanoseconds', () => {
    expect(sinceParameter(1700000000123456789n)).to.equal('1700000000.123456789');
    expect(sinceParameter(1700000000000000005n)).to.equal('1700000000.000000005');
  });
  it('parses an inspect payload and rejects a non-container', () => {
    const c = parseContainerInspect({
      Id: 'f'.repeat(64), Name: '/web', Config: { Image: 'x:1', Env: ['A=1'], Labels: { L: 'v' }, ExposedPorts: { '80/tcp': {} }, Healthcheck: { Test: ['CMD', 'true'] } },
      State: { Status: 'running', ExitCode: 0, Health: { Status: 'starting' } }, HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { IPAddress: '172.17.0.2', Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '81/tcp': null }, Networks: { bridge: { IPAddress: '172.17.0.2' } } },
    });
    expect(c).to.deep.include({ name: 'web', status: 'running', hasHealthcheck: true, health: 'starting', networkMode: 'bridge' });
    expect(c.ports).to.deep.equal({ '80/tcp': [{ hostIp: '127.0.0.1', hostPort: '8080' }], '81/tcp': [] });
    expect(() => parseContainerInspect({ message: 'no such container' })).to.throw(/valid Id/);
  });
  it('skips bridge and loopback interfaces for the host address', () => {
    const iface = (address: string, internal = false) => [{ address, family: 'IPv4', internal, netmask: '', mac: '', cidr: null } as never];
    expect(interfaceAddress({ lo: iface('127.0.0.1', true), docker0: iface('172.17.0.1'), eth0: iface('192.168.1.20') })).to.equal('192.168.1.20');
    expect(interfaceAddress({ lo: iface('127.0.0.1', true) })).to.equal(undefined);
  });
});

describe('registrator roles (pure)', () => {
  it('normalises the prefix and builds keys', () => {
    expect(normaliseRolePrefix('registrator/roles')).to.equal('registrator/roles/');
    expect(roleKey('/x/', 'h:c:80')).to.equal('x/h:c:80');
  });
  it('reads roles from KV entries', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const roles = rolesFromKv([{ Key: 'r/a', Value: b64('master\n') }, { Key: 'r/b', Value: b64('') }, { Key: 'r/c', Value: null }, { Key: 'other/d', Value: b64('slave') }], 'r');
    expect(Object.fromEntries(roles)).to.deep.equal({ a: { role: 'master', modifyIndex: 0 } });
  });
  it('plans a promotion: one master, every other instance slave', () => {
    expect(planPromotion('b', ['a', 'b', 'c'])).to.deep.equal([{ serviceId: 'b', role: 'master' }, { serviceId: 'a', role: 'slave' }, { serviceId: 'c', role: 'slave' }]);
  });
});
