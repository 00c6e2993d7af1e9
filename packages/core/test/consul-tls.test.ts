// The client over TLS as CONSUL_* configures it: CONSUL_CACERT verifies the agent, CONSUL_CLIENT_CERT/KEY answer a
// server that asks for a client certificate, CONSUL_HTTP_SSL_VERIFY=false skips verification, CONSUL_HTTP_SSL picks https.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConsulHttpClient, consulSettingsFromEnv, ERR_CONSUL_UNREACHABLE } from '../src';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, in a temp dir. */
function makeCerts(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=core-test-ca'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:consul.test\n');
  for (const who of ['server', 'client']) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=core-test-${who}`], dir);
    const ext = who === 'server' ? ['-extfile', 'server.ext'] : [];
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', ...ext], dir);
  }
}

describe('core/consul: TLS settings', function () {
  this.timeout(30_000);
  let dir: string;
  let server: https.Server;
  let address: string;
  let clientCertsSeen = 0;
  const clients: ConsulHttpClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'core-consul-tls-'));
    makeCerts(dir);
    server = https.createServer(
      { key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')), ca: readFileSync(join(dir, 'ca.pem')), requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        if (!socket.authorized) {
          res.writeHead(403).end('client certificate required');
          return;
        }
        clientCertsSeen++;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('"127.0.0.1:8300"');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  function client(env: NodeJS.ProcessEnv): ConsulHttpClient {
    const c = new ConsulHttpClient(consulSettingsFromEnv(env));
    clients.push(c);
    return c;
  }

  it('verifies the agent with CONSUL_CACERT and presents CONSUL_CLIENT_CERT/KEY', async () => {
    const c = client({ CONSUL_HTTP_ADDR: `https://${address}`, CONSUL_CACERT: join(dir, 'ca.pem'), CONSUL_CLIENT_CERT: join(dir, 'client.pem'), CONSUL_CLIENT_KEY: join(dir, 'client-key.pem') });
    expect(await c.leader()).to.equal('127.0.0.1:8300');
    expect(clientCertsSeen).to.equal(1);
  });

  it('picks https for a bare address with CONSUL_HTTP_SSL=true', async () => {
    const c = client({ CONSUL_HTTP_ADDR: address, CONSUL_HTTP_SSL: 'true', CONSUL_CACERT: join(dir, 'ca.pem'), CONSUL_CLIENT_CERT: join(dir, 'client.pem'), CONSUL_CLIENT_KEY: join(dir, 'client-key.pem') });
    expect(c.baseUrl).to.match(/^https:/);
    expect(await c.leader()).to.equal('127.0.0.1:8300');
  });

  it('refuses an agent certificate it cannot verify', async () => {
    const err = await client({ CONSUL_HTTP_ADDR: `https://${address}` }).leader().catch((e: unknown) => e);
    expect(err).to.have.property('code', ERR_CONSUL_UNREACHABLE);
  });

  it('skips verification with CONSUL_HTTP_SSL_VERIFY=false (and without a client certificate the server says 403)', async () => {
    const err = await client({ CONSUL_HTTP_ADDR: `https://${address}`, CONSUL_HTTP_SSL_VERIFY: 'false' }).leader().catch((e: unknown) => e);
    expect(err).to.have.property('status', 403);
  });

  it('checks the name in CONSUL_TLS_SERVER_NAME', async () => {
    const env = { CONSUL_HTTP_ADDR: `https://${address}`, CONSUL_CACERT: join(dir, 'ca.pem'), CONSUL_CLIENT_CERT: join(dir, 'client.pem'), CONSUL_CLIENT_KEY: join(dir, 'client-key.pem') };
    expect(await client({ ...env, CONSUL_TLS_SERVER_NAME: 'consul.test' }).leader()).to.equal('127.0.0.1:8300');
    expect(await client({ ...env, CONSUL_TLS_SERVER_NAME: 'other.test' }).leader().catch((e: unknown) => (e as { code?: string }).code)).to.equal(ERR_CONSUL_UNREACHABLE);
  });

  it('reads the client certificate settings, and wants both halves', () => {
    expect(consulSettingsFromEnv({ CONSUL_CLIENT_CERT: '/c.pem', CONSUL_CLIENT_KEY: '/k.pem' })).to.include({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(() => consulSettingsFromEnv({ CONSUL_CLIENT_CERT: '/c.pem' })).to.throw(ConfigError, 'CONSUL_CLIENT_KEY');
  });
});
