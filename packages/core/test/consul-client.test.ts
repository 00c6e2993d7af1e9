import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, consulBaseUrl, consulSettingsFromEnv } from '../src';

describe('core: Consul settings from the environment', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
    ['the default agent', {}, 'http://127.0.0.1:8500'],
    ['host:port without scheme', { CONSUL_HTTP_ADDR: '10.1.2.3:8600' }, 'http://10.1.2.3:8600'],
    ['an http URL', { CONSUL_HTTP_ADDR: 'http://consul.local:8500' }, 'http://consul.local:8500'],
    ['an https URL without port', { CONSUL_HTTP_ADDR: 'https://consul.local' }, 'https://consul.local:8501'],
    ['CONSUL_HTTP_SSL on a bare address', { CONSUL_HTTP_ADDR: 'consul.local:8501', CONSUL_HTTP_SSL: 'true' }, 'https://consul.local:8501'],
    ['an IPv6 address', { CONSUL_HTTP_ADDR: 'http://[::1]:8500' }, 'http://[::1]:8500'],
  ];
  for (const [what, env, url] of cases) {
    it(`reads ${what}`, () => expect(consulBaseUrl(consulSettingsFromEnv(env))).to.equal(url));
  }

  it('reads the token, CA file and verify flag', () => {
    const settings = consulSettingsFromEnv({ CONSUL_HTTP_TOKEN: 'abc', CONSUL_CACERT: '/ca.pem', CONSUL_HTTP_SSL_VERIFY: 'false' });
    expect(settings).to.include({ token: 'abc', caFile: '/ca.pem', verifyTls: false });
  });

  it('reads the token from CONSUL_HTTP_TOKEN_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cs-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'from-file\n');
      expect(consulSettingsFromEnv({ CONSUL_HTTP_TOKEN_FILE: join(dir, 'token') }).token).to.equal('from-file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prefers an explicit address (a registrator URI) over CONSUL_HTTP_ADDR', () => {
    expect(consulBaseUrl(consulSettingsFromEnv({ CONSUL_HTTP_ADDR: 'a:1' }, 'b:2'))).to.equal('http://b:2');
  });

  for (const [what, env] of [['a bad scheme', { CONSUL_HTTP_ADDR: 'ftp://x:1' }], ['a bad boolean', { CONSUL_HTTP_SSL_VERIFY: 'sometimes' }]] as const) {
    it(`rejects ${what}`, () => expect(() => consulSettingsFromEnv(env)).to.throw(ConfigError));
  }
});
