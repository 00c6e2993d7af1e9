// DOCKER_HOST forms -> dockerode options, and the errors that name the variable and its value.

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDocker, describeDockerConnection, dockerConnectionFromEnv, dockerodeOptions, ERR_DOCKER_HOST, parseDockerHost, type DockerConnection } from '../src';

describe('core/docker: DOCKER_HOST', () => {
  const none = { env: {}, exists: () => false };
  const forms: Array<[string, string | undefined, NodeJS.ProcessEnv, DockerConnection]> = [
    ['unset: the local socket', undefined, {}, { kind: 'unix', socketPath: '/var/run/docker.sock' }],
    ['unix://path', 'unix:///run/user/1000/docker.sock', {}, { kind: 'unix', socketPath: '/run/user/1000/docker.sock' }],
    ['a bare absolute path', '/tmp/docker.sock', {}, { kind: 'unix', socketPath: '/tmp/docker.sock' }],
    ['tcp://host:port', 'tcp://10.0.0.2:2375', {}, { kind: 'tcp', protocol: 'http', host: '10.0.0.2', port: 2375 }],
    ['tcp://host (port 2375)', 'tcp://docker.local', {}, { kind: 'tcp', protocol: 'http', host: 'docker.local', port: 2375 }],
    ['tcp with DOCKER_TLS_VERIFY=0 (plain)', 'tcp://h:2375', { DOCKER_TLS_VERIFY: '0' }, { kind: 'tcp', protocol: 'http', host: 'h', port: 2375 }],
    ['tcp with DOCKER_TLS_VERIFY and no cert path (port 2376)', 'tcp://h', { DOCKER_TLS_VERIFY: '1' }, { kind: 'tcp', protocol: 'https', host: 'h', port: 2376 }],
    ['https://host:port', 'https://h:2376', {}, { kind: 'tcp', protocol: 'https', host: 'h', port: 2376 }],
    ['tcp on IPv6', 'tcp://[::1]:2375', {}, { kind: 'tcp', protocol: 'http', host: '::1', port: 2375 }],
    ['ssh://user@host', 'ssh://ops@node2', {}, { kind: 'ssh', host: 'node2', port: 22, username: 'ops' }],
    ['ssh://host:port without user', 'ssh://node2:2222', {}, { kind: 'ssh', host: 'node2', port: 2222 }],
  ];
  for (const [what, host, env, expected] of forms) {
    it(`reads ${what}`, () => expect(parseDockerHost(host, { ...none, env })).to.deep.equal(expected));
  }

  it('reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH when TLS is on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'core-docker-certs-'));
    try {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `pem of ${f}`);
      const conn = dockerConnectionFromEnv({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });
      expect(conn.kind).to.equal('tcp');
      const options = dockerodeOptions(conn, { version: 'v1.41' });
      expect(options).to.include({ protocol: 'https', host: 'h', port: 2376, version: 'v1.41' });
      expect(String(options.ca)).to.equal('pem of ca.pem');
      expect(String(options.cert)).to.equal('pem of cert.pem');
      expect(String(options.key)).to.equal('pem of key.pem');
      expect(describeDockerConnection(conn)).to.equal('tcp+tls://h:2376');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignores DOCKER_CERT_PATH on a plain tcp connection', () => {
    expect(parseDockerHost('tcp://h:2375', { env: { DOCKER_CERT_PATH: '/nonexistent' } })).to.not.have.property('ca');
  });

  it('takes the first default socket that exists (registrator: /tmp/docker.sock, then /var/run/docker.sock)', () => {
    const exists = (p: string) => p === '/var/run/docker.sock';
    expect(parseDockerHost(undefined, { env: {}, exists, defaultSockets: ['/tmp/docker.sock', '/var/run/docker.sock'] })).to.deep.equal({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseDockerHost('', { env: {}, exists: () => true, defaultSockets: ['/tmp/docker.sock', '/var/run/docker.sock'] })).to.deep.equal({ kind: 'unix', socketPath: '/tmp/docker.sock' });
  });

  it('turns each form into dockerode options', () => {
    expect(dockerodeOptions({ kind: 'unix', socketPath: '/s' })).to.deep.equal({ socketPath: '/s' });
    expect(dockerodeOptions({ kind: 'ssh', host: 'h', port: 22, username: 'u' })).to.deep.equal({ protocol: 'ssh', host: 'h', port: 22, username: 'u' });
    expect(dockerodeOptions({ kind: 'tcp', protocol: 'http', host: 'h', port: 2375 })).to.deep.equal({ protocol: 'http', host: 'h', port: 2375 });
  });

  const bad: Array<[string, string, NodeJS.ProcessEnv, string, string]> = [
    ['an unknown scheme', 'npipe:////./pipe/docker_engine', {}, 'DOCKER_HOST', 'unsupported scheme "npipe"'],
    ['no scheme', 'docker.local:2375', {}, 'DOCKER_HOST', 'expected unix:///path'],
    ['a relative unix path', 'unix://docker.sock', {}, 'DOCKER_HOST', 'absolute path'],
    ['a port out of range', 'tcp://h:70000', {}, 'DOCKER_HOST', 'is not 1..65535'],
    ['tcp without a host', 'tcp://:2375', {}, 'DOCKER_HOST', 'no host'],
    ['a broken user name', 'ssh://%zz@node2', {}, 'DOCKER_HOST', 'not valid percent-encoding'],
    ['a host with a stray colon', 'tcp://a:b:c', {}, 'DOCKER_HOST', 'not a valid host[:port]'],
    ['a missing certificate', 'tcp://h:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent-certs' }, 'DOCKER_CERT_PATH', 'cannot read ca.pem in "/nonexistent-certs"'],
  ];
  for (const [what, host, env, field, message] of bad) {
    it(`rejects ${what}, naming ${field} and the value`, () => {
      let caught: unknown;
      try {
        parseDockerHost(host, { env });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.have.property('code', ERR_DOCKER_HOST);
      expect(caught).to.have.nested.property('details.field', field);
      expect(String((caught as Error).message)).to.include(field).and.include(message);
    });
  }

  it('names the setting it was given (a healer desired-state field)', () => {
    expect(() => parseDockerHost('ftp://x', { field: 'services[0].scale.dockerHost' })).to.throw('services[0].scale.dockerHost: unsupported scheme "ftp" (unix, tcp or ssh) (got "ftp://x")');
  });

  it('connects a dockerode client to the given socket', async function () {
    const docker = connectDocker('unix:///var/run/docker.sock', { version: 'v1.41' });
    expect(docker.modem).to.have.property('socketPath', '/var/run/docker.sock');
  });
});
