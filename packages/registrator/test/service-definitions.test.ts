// Table of label/flag cases against gliderlabs' documented names, IDs, tags, addresses and checks (and the bugs we fix).

import { expect } from 'chai';
import { containerDisposition, defaultServiceName, defineContainerServices, type ContainerDefinition } from '../src/plan/service-definitions';
import type { ContainerInspect } from '../src/observe/container-inspect';
import type { CheckDefinition } from '../src/plan/registration';
import { CONTAINER_ID, inspect, options } from './fixtures';
import type { DefinitionOptions } from '../src/plan/service-definitions';

interface Expected {
  id: string;
  name: string;
  address: string;
  port: number;
  tags?: string[];
  meta?: Record<string, string>;
  checks?: Array<Partial<CheckDefinition>>;
}

interface Case {
  title: string;
  container?: Partial<ContainerInspect>;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  flags?: Partial<DefinitionOptions>;
  roles?: Record<string, string>;
  expect: Expected[];
  /** Substrings each expected in one warning (warnings must name the label). */
  warnings?: string[];
}

const published = (...ports: Array<[string, string, string?]>) =>
  Object.fromEntries(ports.map(([key, hostPort, hostIp]) => [key, [{ hostIp: hostIp ?? '0.0.0.0', hostPort }]]));

const CASES: Case[] = [
  { title: 'default: base(image) without tag, <host>:<container>:<port>, host IP and published port', expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, tags: [] }] },
  { title: 'a binding on a specific host IP is the address', container: { ports: published(['80/tcp', '32768', '127.0.0.1']) }, expect: [{ id: 'host1:web:80', name: 'foo', address: '127.0.0.1', port: 32768 }] },
  { title: '-ip forces the address over a specific binding', container: { ports: published(['80/tcp', '32768', '127.0.0.1']) }, flags: { forcedIp: '192.168.1.9', hostIp: '192.168.1.9' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '192.168.1.9', port: 32768 }] },
  { title: 'SERVICE_NAME names the service', labels: { SERVICE_NAME: 'api' }, expect: [{ id: 'host1:web:80', name: 'api', address: '10.0.0.1', port: 32768 }] },
  { title: "a swarm task is named after its swarm service, not its image; the ID is the task container's", container: { name: 'shop.2.q1w2e3r4t5y6u7i8o9p0a1s2d' }, labels: { 'com.docker.swarm.service.name': 'shop', 'com.docker.swarm.task.id': 'q1w2e3r4t5y6u7i8o9p0a1s2d' }, expect: [{ id: 'host1:shop.2.q1w2e3r4t5y6u7i8o9p0a1s2d:80', name: 'shop', address: '10.0.0.1', port: 32768 }] },
  { title: 'SERVICE_NAME wins over the swarm service name', labels: { 'com.docker.swarm.service.name': 'billing-v2', SERVICE_NAME: 'billing' }, expect: [{ id: 'host1:web:80', name: 'billing', address: '10.0.0.1', port: 32768 }] },
  { title: '-explicit: a swarm service name is not an explicit SERVICE_NAME', labels: { 'com.docker.swarm.service.name': 'shop' }, flags: { explicit: true }, expect: [] },
  {
    title: 'several published ports: -<port> suffix on the default name',
    container: { exposedPorts: ['80/tcp', '443/tcp'], ports: published(['80/tcp', '32768'], ['443/tcp', '32769']) },
    expect: [{ id: 'host1:web:80', name: 'foo-80', address: '10.0.0.1', port: 32768 }, { id: 'host1:web:443', name: 'foo-443', address: '10.0.0.1', port: 32769 }],
  },
  {
    title: 'several ports: the suffix is added to SERVICE_NAME too, not to SERVICE_<port>_NAME',
    container: { exposedPorts: ['80/tcp', '443/tcp'], ports: published(['80/tcp', '32768'], ['443/tcp', '32769']) },
    labels: { SERVICE_NAME: 'api', SERVICE_443_NAME: 'secure' },
    expect: [{ id: 'host1:web:80', name: 'api-80', address: '10.0.0.1', port: 32768 }, { id: 'host1:web:443', name: 'secure', address: '10.0.0.1', port: 32769 }],
  },
  { title: 'exposed but not published: skipped', container: { ports: { '80/tcp': [] } }, expect: [] },
  { title: '-internal: container IP and exposed port, unpublished ports included', container: { ports: { '80/tcp': [] } }, flags: { internal: true }, expect: [{ id: 'host1:web:80', name: 'foo', address: '172.17.0.5', port: 80 }] },
  { title: 'udp: :udp suffix on the ID and a udp tag', container: { exposedPorts: ['53/udp'], ports: published(['53/udp', '5353']) }, expect: [{ id: 'host1:web:53:udp', name: 'foo', address: '10.0.0.1', port: 5353, tags: ['udp'] }] },
  {
    title: 'the same port on tcp and udp: two services',
    container: { exposedPorts: ['53/tcp', '53/udp'], ports: published(['53/tcp', '5353'], ['53/udp', '5353']) },
    expect: [{ id: 'host1:web:53', name: 'foo-53', address: '10.0.0.1', port: 5353, tags: [] }, { id: 'host1:web:53:udp', name: 'foo-53', address: '10.0.0.1', port: 5353, tags: ['udp'] }],
  },
  { title: 'SERVICE_TAGS: \\, escapes, empty items dropped, -tags appended', labels: { SERVICE_TAGS: 'a,b\\,c,,d' }, flags: { tags: ['x', 'y'] }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, tags: ['a', 'b,c', 'd', 'x', 'y'] }] },
  { title: 'SERVICE_ID replaces the whole ID', labels: { SERVICE_ID: 'custom-1' }, expect: [{ id: 'custom-1', name: 'foo', address: '10.0.0.1', port: 32768 }] },
  { title: 'SERVICE_ID on udp keeps :udp (PR #599)', container: { exposedPorts: ['53/udp'], ports: published(['53/udp', '5353']) }, labels: { SERVICE_ID: 'dns' }, expect: [{ id: 'dns:udp', name: 'foo', address: '10.0.0.1', port: 5353 }] },
  { title: 'SERVICE_IGNORE=true ignores', labels: { SERVICE_IGNORE: 'true' }, expect: [] },
  { title: 'SERVICE_IGNORE=false does not ignore (gliderlabs bug fixed)', labels: { SERVICE_IGNORE: 'false' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768 }] },
  {
    title: 'SERVICE_<port>_IGNORE ignores one port only',
    container: { exposedPorts: ['80/tcp', '443/tcp'], ports: published(['80/tcp', '32768'], ['443/tcp', '32769']) },
    labels: { SERVICE_80_IGNORE: '1' },
    expect: [{ id: 'host1:web:443', name: 'foo-443', address: '10.0.0.1', port: 32769 }],
  },
  {
    title: 'SERVICE_IGNORE=flase (not a boolean): still ignored, as gliderlabs reads any value, with a warning naming the label and value',
    labels: { SERVICE_IGNORE: 'flase' },
    expect: [],
    warnings: ['label SERVICE_IGNORE: "flase" is not a boolean'],
  },
  { title: 'SERVICE_IGNORE=yes: ignored, no warning', labels: { SERVICE_IGNORE: 'yes' }, expect: [] },
  {
    title: 'SERVICE_CHECK_INTERVAL=0s: registered without the interval checks, an error naming the label and value',
    labels: { SERVICE_CHECK_HTTP: '/health', SERVICE_CHECK_TCP: 'true', SERVICE_CHECK_INTERVAL: '0s' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [] }],
    warnings: ['label SERVICE_CHECK_INTERVAL: check interval "0s" is zero, which Consul refuses; registered without the http, tcp checks'],
  },
  {
    title: 'SERVICE_80_CHECK_INTERVAL=0: the port label is named; the Docker-health TTL check (no interval) is kept',
    container: { hasHealthcheck: true, health: 'healthy' },
    labels: { SERVICE_CHECK_HTTP: '/health', SERVICE_80_CHECK_INTERVAL: '0' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ checkId: 'service:host1:web:80:docker-health' }] }],
    warnings: ['label SERVICE_80_CHECK_INTERVAL: check interval "0"'],
  },
  {
    title: 'SERVICE_CHECK_TTL=0s: registered without the TTL check, an error naming the label and value',
    labels: { SERVICE_CHECK_TTL: '0s' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [] }],
    warnings: ['label SERVICE_CHECK_TTL: check TTL "0s" is zero'],
  },
  { title: '-explicit: no SERVICE_NAME, no service', flags: { explicit: true }, expect: [] },
  { title: '-explicit with SERVICE_NAME', flags: { explicit: true }, labels: { SERVICE_NAME: 'api' }, expect: [{ id: 'host1:web:80', name: 'api', address: '10.0.0.1', port: 32768 }] },
  { title: 'a label beats an env variable with the same key', env: { SERVICE_NAME: 'fromenv' }, labels: { SERVICE_NAME: 'fromlabel' }, expect: [{ id: 'host1:web:80', name: 'fromlabel', address: '10.0.0.1', port: 32768 }] },
  { title: 'a port-specific key beats the generic one, whatever its source', env: { SERVICE_80_NAME: 'specific' }, labels: { SERVICE_NAME: 'generic' }, expect: [{ id: 'host1:web:80', name: 'specific', address: '10.0.0.1', port: 32768 }] },
  { title: 'host network: exposed ports on the host IP', container: { networkMode: 'host', exposedPorts: ['8080/tcp'], ports: {}, ipAddress: '', networks: { host: { ipAddress: '', globalIPv6Address: '' } } }, expect: [{ id: 'host1:web:8080', name: 'foo', address: '10.0.0.1', port: 8080 }] },
  { title: '-useIpFromLabel strips a /cidr suffix', labels: { 'ip.addr': '10.9.9.9/24' }, flags: { useIpFromLabel: 'ip.addr' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.9.9.9', port: 32768 }] },
  { title: '-useIpFromLabel with the label missing: warning, address kept', flags: { useIpFromLabel: 'ip.addr' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768 }], warnings: ['ip.addr'] },
  {
    title: '-internal on a user network: that network\'s address',
    container: { networkMode: 'appnet', ipAddress: '', ports: { '80/tcp': [] }, networks: { appnet: { ipAddress: '172.20.0.3', globalIPv6Address: '' }, other: { ipAddress: '172.21.0.3', globalIPv6Address: '' } } },
    flags: { internal: true },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '172.20.0.3', port: 80 }],
  },
  {
    title: '-internal: SERVICE_NETWORK chooses the network',
    container: { networkMode: 'appnet', ipAddress: '', ports: { '80/tcp': [] }, networks: { appnet: { ipAddress: '172.20.0.3', globalIPv6Address: '' }, other: { ipAddress: '172.21.0.3', globalIPv6Address: '' } } },
    labels: { SERVICE_NETWORK: 'other' },
    flags: { internal: true },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '172.21.0.3', port: 80 }],
  },
  {
    title: '-internal with several networks and no choice: by name, deterministically (#498)',
    container: { networkMode: 'default', ipAddress: '', ports: { '80/tcp': [] }, networks: { zeta: { ipAddress: '172.30.0.2', globalIPv6Address: '' }, alpha: { ipAddress: '172.29.0.2', globalIPv6Address: '' } } },
    flags: { internal: true },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '172.29.0.2', port: 80 }],
  },
  {
    title: 'a user network without -internal: host IP and published port (gliderlabs used the container IP)',
    container: { networkMode: 'appnet', ipAddress: '', networks: { appnet: { ipAddress: '172.20.0.3', globalIPv6Address: '' } } },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768 }],
  },
  {
    title: 'an IPv6 binding: the IPv6 address, bracketed in check URLs',
    container: { ports: { '80/tcp': [{ hostIp: '::1', hostPort: '9000' }] } },
    labels: { SERVICE_CHECK_HTTP: '/health' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '::1', port: 9000, checks: [{ checkId: 'service:host1:web:80:http', http: 'http://[::1]:9000/health', interval: '10s' }] }],
  },
  {
    title: '0.0.0.0 and :: bindings: the host IP',
    container: { ports: { '80/tcp': [{ hostIp: '0.0.0.0', hostPort: '9000' }, { hostIp: '::', hostPort: '9000' }] } },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 9000 }],
  },
  {
    title: 'other SERVICE_ keys become Meta; check_* keys do not; an invalid key is dropped with a warning',
    labels: { SERVICE_VERSION: '1.2', SERVICE_CHECK_TCP: 'true', 'SERVICE_com.foo': 'x', 'SERVICE_consul-x': 'y' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, meta: { version: '1.2' } }],
    warnings: ['label SERVICE_com.foo', 'label SERVICE_consul-x'],
  },
  { title: 'SERVICE_abc_NAME: a warning naming the label, the service still registered', labels: { SERVICE_abc_NAME: 'x' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768 }], warnings: ['label SERVICE_abc_NAME'] },
  {
    title: 'SERVICE_CHECK_HTTP with method, interval and timeout',
    labels: { SERVICE_CHECK_HTTP: '/health', SERVICE_CHECK_HTTP_METHOD: 'HEAD', SERVICE_CHECK_INTERVAL: '5s', SERVICE_CHECK_TIMEOUT: '2s' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ checkId: 'service:host1:web:80:http', http: 'http://10.0.0.1:32768/health', method: 'HEAD', interval: '5s', timeout: '2s' }] }],
  },
  {
    title: 'several checks on one service (gliderlabs kept only one)',
    labels: { SERVICE_CHECK_HTTP: '/health', SERVICE_CHECK_TCP: 'true', SERVICE_CHECK_TTL: '30s' },
    expect: [{
      id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768,
      checks: [{ checkId: 'service:host1:web:80:http', http: 'http://10.0.0.1:32768/health' }, { checkId: 'service:host1:web:80:tcp', tcp: '10.0.0.1:32768', interval: '10s' }, { checkId: 'service:host1:web:80:ttl', ttl: '30s' }],
    }],
  },
  {
    title: 'a bad interval: warning naming the label, default 10s',
    labels: { SERVICE_CHECK_TCP: 'true', SERVICE_CHECK_INTERVAL: 'soon' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ tcp: '10.0.0.1:32768', interval: '10s' }] }],
    warnings: ['label SERVICE_CHECK_INTERVAL'],
  },
  {
    title: 'SERVICE_CHECK_SCRIPT: $SERVICE_IP/$SERVICE_PORT interpolated and split into argv',
    labels: { SERVICE_CHECK_SCRIPT: 'nc -z "$SERVICE_IP" $SERVICE_PORT' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ args: ['nc', '-z', '10.0.0.1', '32768'], interval: '10s' }] }],
  },
  {
    title: 'SERVICE_CHECK_CMD: check-cmd <id12> <exposed port> <cmd>',
    labels: { SERVICE_CHECK_CMD: '/bin/health' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ args: ['check-cmd', CONTAINER_ID.slice(0, 12), '80', '/bin/health'] }] }],
  },
  {
    title: 'SERVICE_CHECK_GRPC with TLS and skip-verify; SERVICE_CHECK_HTTPS',
    labels: { SERVICE_CHECK_GRPC: 'true', SERVICE_CHECK_GRPC_USE_TLS: 'true', SERVICE_CHECK_TLS_SKIP_VERIFY: 'true', SERVICE_CHECK_HTTPS: '/s' },
    expect: [{
      id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768,
      checks: [{ http: 'https://10.0.0.1:32768/s' }, { grpc: '10.0.0.1:32768', grpcUseTls: true, tlsSkipVerify: true }],
    }],
  },
  {
    title: 'initial status and deregister-after on the checks',
    labels: { SERVICE_CHECK_TCP: 'x', SERVICE_CHECK_INITIAL_STATUS: 'passing', SERVICE_CHECK_DEREGISTER_AFTER: '10m' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ tcp: '10.0.0.1:32768', status: 'passing', deregisterCriticalServiceAfter: '10m' }] }],
  },
  {
    title: 'a Docker HEALTHCHECK becomes a TTL check fed from health_status',
    container: { hasHealthcheck: true, health: 'healthy' },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ checkId: 'service:host1:web:80:docker-health', ttl: '90s', status: 'passing' }] }],
  },
  {
    title: '-ttl: a TTL check registrator passes (gliderlabs ignored -ttl on Consul)',
    flags: { ttlSeconds: 30 },
    expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, checks: [{ checkId: 'service:host1:web:80:registrator-ttl', ttl: '30s', status: 'passing' }] }],
  },
  { title: 'SERVICE_ROLE becomes a tag, and Meta role for consumers', labels: { SERVICE_ROLE: 'master' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, tags: ['master'], meta: { role: 'master' } }] },
  { title: 'a runtime role from KV beats SERVICE_ROLE', labels: { SERVICE_ROLE: 'master', SERVICE_TAGS: 'redis' }, roles: { 'host1:web:80': 'slave' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768, tags: ['redis', 'slave'], meta: { role: 'slave' } }] },
  {
    title: 'SERVICE_<port>_ROLE applies to that port only',
    container: { exposedPorts: ['80/tcp', '443/tcp'], ports: published(['80/tcp', '32768'], ['443/tcp', '32769']) },
    labels: { SERVICE_443_ROLE: 'primary' },
    expect: [{ id: 'host1:web:80', name: 'foo-80', address: '10.0.0.1', port: 32768, tags: [] }, { id: 'host1:web:443', name: 'foo-443', address: '10.0.0.1', port: 32769, tags: ['primary'] }],
  },
  {
    title: 'NetworkMode container:<id>: the network container\'s IP',
    container: { networkMode: `container:${'b'.repeat(64)}`, ports: {}, exposedPorts: ['6379/tcp'], ipAddress: '', networks: {}, networkContainer: { ipAddress: '172.17.0.9', networks: {} } },
    expect: [{ id: 'host1:web:6379', name: 'foo', address: '172.17.0.9', port: 6379 }],
  },
  { title: 'a service port key for a port the container does not publish: warning', labels: { SERVICE_8080_NAME: 'x' }, expect: [{ id: 'host1:web:80', name: 'foo', address: '10.0.0.1', port: 32768 }], warnings: ['label SERVICE_8080_NAME'] },
  { title: 'no ports at all: nothing', container: { exposedPorts: [], ports: {} }, expect: [] },
];

function define(c: Case): ContainerDefinition {
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const container = inspect({ ...c.container, labels: { ...(c.container?.labels ?? {}), ...(c.labels ?? {}) }, env });
  return defineContainerServices(container, options(c.flags), new Map(Object.entries(c.roles ?? {}).map(([id, role]) => [id, { role }])));
}

describe('registrator service definitions (gliderlabs compatibility table)', () => {
  for (const c of CASES) {
    it(c.title, () => {
      const def = define(c);
      const got = def.services.map((s) => s.registration);
      expect(got.map((r) => r.id), 'service IDs').to.deep.equal(c.expect.map((e) => e.id));
      c.expect.forEach((want, i) => {
        const reg = got[i];
        expect(reg.name, `${want.id} name`).to.equal(want.name);
        expect(reg.address, `${want.id} address`).to.equal(want.address);
        expect(reg.port, `${want.id} port`).to.equal(want.port);
        if (want.tags) expect([...reg.tags].sort(), `${want.id} tags`).to.deep.equal([...want.tags].sort());
        expect(reg.meta['registrator-node']).to.equal('host1');
        expect(reg.meta['registrator-container']).to.equal(CONTAINER_ID);
        if (want.meta) {
          const userMeta = Object.fromEntries(Object.entries(reg.meta).filter(([k]) => !k.startsWith('registrator-')));
          expect(userMeta, `${want.id} meta`).to.deep.equal(want.meta);
        }
        if (want.checks) {
          expect(reg.checks, `${want.id} checks`).to.have.length(want.checks.length);
          want.checks.forEach((wc, j) => expect(reg.checks[j], `${want.id} check ${j}`).to.deep.include(wc));
        }
      });
      const warningText = def.warnings.map((w) => `${w.source}: ${w.message}`);
      for (const w of c.warnings ?? []) expect(warningText.some((t) => t.includes(w)), `a warning naming ${w} in ${JSON.stringify(warningText)}`).to.equal(true);
      if (!c.warnings) expect(warningText, 'no warnings').to.deep.equal([]);
      for (const w of def.warnings) expect(w.container).to.equal('web');
    });
  }

  it('a check left out is an error, an unclear SERVICE_IGNORE a warning', () => {
    const dropped = defineContainerServices(inspect({ labels: { SERVICE_CHECK_HTTP: '/', SERVICE_CHECK_INTERVAL: '0s' } }), options());
    expect(dropped.warnings.map((w) => w.severity)).to.deep.equal(['error']);
    const unclear = defineContainerServices(inspect({ labels: { SERVICE_IGNORE: 'flase' } }), options());
    expect(unclear.warnings.map((w) => w.severity)).to.deep.equal([undefined]);
  });

  it('default names: tag, registry port and digest are dropped', () => {
    expect(defaultServiceName('gliderlabs/foo:1')).to.equal('foo');
    expect(defaultServiceName('localhost:5000/team/app:2')).to.equal('app');
    expect(defaultServiceName('redis')).to.equal('redis');
    expect(defaultServiceName('foo@sha256:abcdef')).to.equal('foo');
  });

  const dispositions: Array<[string, ContainerInspect['status'], number, 'always' | 'on-success' | 'never', string]> = [
    ['running', 'running', 0, 'always', 'register'],
    ['exited 0, always', 'exited', 0, 'always', 'remove'],
    ['exited 1, always', 'exited', 1, 'always', 'remove'],
    ['exited 0, on-success', 'exited', 0, 'on-success', 'remove'],
    ['exited 1, on-success: kept for checks to flag', 'exited', 1, 'on-success', 'keep'],
    ['killed (137), on-success', 'exited', 137, 'on-success', 'remove'],
    ['exited 1, never', 'exited', 1, 'never', 'keep'],
    ['paused, always', 'paused', 0, 'always', 'remove'],
    ['paused, never', 'paused', 0, 'never', 'keep'],
  ];
  for (const [title, status, exitCode, mode, want] of dispositions) {
    it(`disposition: ${title} -> ${want}`, () => {
      expect(containerDisposition({ status, exitCode }, mode)).to.equal(want);
    });
  }

  it('a stopped container defines no services', () => {
    expect(defineContainerServices(inspect({ status: 'exited', exitCode: 0, ports: {} }), options()).services).to.deep.equal([]);
  });

  it('the spec hash changes with the checks but not with roles of other services', () => {
    const a = define({ title: '', labels: { SERVICE_CHECK_TCP: 'x' }, expect: [] }).services[0].registration.meta['registrator-spec'];
    const b = define({ title: '', labels: { SERVICE_CHECK_TCP: 'x', SERVICE_CHECK_INTERVAL: '3s' }, expect: [] }).services[0].registration.meta['registrator-spec'];
    const c = define({ title: '', labels: { SERVICE_CHECK_TCP: 'x' }, roles: { other: 'master' }, expect: [] }).services[0].registration.meta['registrator-spec'];
    expect(a).to.not.equal(b);
    expect(a).to.equal(c);
  });
});
