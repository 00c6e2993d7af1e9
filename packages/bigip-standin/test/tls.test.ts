import { expect } from 'chai';
import axios from 'axios';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTlsMaterial, startBigipStandin, type BigipStandin } from '../src/index';

describe('bigip-standin TLS', () => {
  describe('createTlsMaterial', () => {
    const material = createTlsMaterial(['standin.test']);
    const [leafPem] = material.certChainPem.split(/(?<=-----END CERTIFICATE-----\n)/);
    const ca = new X509Certificate(material.caPem);
    const leaf = new X509Certificate(leafPem!);

    it('makes a CA certificate', () => {
      expect(ca.ca).to.equal(true);
      expect(ca.subject).to.include('CN=bigip-standin test CA');
    });

    it('makes a server certificate signed by that CA', () => {
      expect(leaf.ca).to.equal(false);
      expect(leaf.checkIssued(ca)).to.equal(true);
      expect(leaf.verify(ca.publicKey)).to.equal(true);
    });

    it('names 127.0.0.1, localhost and extra hosts in subjectAltName', () => {
      expect(leaf.subjectAltName).to.include('IP Address:127.0.0.1');
      expect(leaf.subjectAltName).to.include('DNS:localhost');
      expect(leaf.subjectAltName).to.include('DNS:standin.test');
      expect(leaf.checkIP('127.0.0.1')).to.equal('127.0.0.1');
      expect(leaf.checkHost('localhost')).to.equal('localhost');
      expect(leaf.checkIP('10.1.1.1')).to.equal(undefined);
    });

    it('is valid now', () => {
      expect(Date.parse(leaf.validFrom)).to.be.below(Date.now());
      expect(Date.parse(leaf.validTo)).to.be.above(Date.now());
    });
  });

  describe('served over HTTPS', () => {
    let standin: BigipStandin;
    let directory: string;
    before(async () => {
      directory = await mkdtemp(join(tmpdir(), 'bigip-standin-'));
      standin = await startBigipStandin({ caOut: join(directory, 'ca.pem') });
    });
    after(async () => {
      await standin.stop();
      await rm(directory, { recursive: true, force: true });
    });

    it('writes the CA to --ca-out', async () => {
      expect(await readFile(join(directory, 'ca.pem'), 'utf8')).to.equal(standin.caPem);
      expect(standin.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it('verifies against the written CA, by IP and by name', async () => {
      const ca = await readFile(join(directory, 'ca.pem'), 'utf8');
      const byIp = await axios.get(`${standin.url}/mgmt/tm/sys/version`, { httpsAgent: new Agent({ ca }), auth: { username: 'admin', password: 'admin' } });
      expect(byIp.status).to.equal(200);
      const byName = await axios.get(`https://localhost:${standin.port}/mgmt/tm/sys/version`, { httpsAgent: new Agent({ ca }), auth: { username: 'admin', password: 'admin' } });
      expect(byName.data.kind).to.equal('tm:sys:version:versionstats');
    });

    it('fails verification for a client that does not trust the CA', async () => {
      const error = await axios.get(`${standin.url}/mgmt/tm/sys/version`).then(
        () => undefined,
        (failure: { code?: string }) => failure,
      );
      expect(error?.code).to.be.oneOf(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT']);
    });

    it('is reachable without verification only when a client turns it off', async () => {
      const response = await axios.get(`${standin.url}/mgmt/tm/sys/version`, {
        httpsAgent: new Agent({ rejectUnauthorized: false }),
        auth: { username: 'admin', password: 'admin' },
      });
      expect(response.status).to.equal(200);
    });
  });

  it('serves plain HTTP only when asked (tls: false)', async () => {
    const standin = await startBigipStandin({ tls: false });
    try {
      expect(standin.url).to.match(/^http:\/\//);
      expect(standin.caPem).to.equal(undefined);
      const response = await axios.get(`${standin.url}/mgmt/tm/sys/version`, { auth: { username: 'admin', password: 'admin' } });
      const entries = Object.values(response.data.entries as Record<string, { nestedStats: { entries: Record<string, { description: string }> } }>)[0]!.nestedStats.entries;
      expect(entries.Product!.description).to.equal('BIG-IP');
      expect(entries.Version!.description).to.match(/^15\.1\./);
    } finally {
      await standin.stop();
    }
  });
});
