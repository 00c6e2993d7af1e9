// The error catalogue covers every code the package writes, and the Consul adapter rejects only with the adapter's codes.

import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConsulHttpClient, consulSettingsFromEnv, CORE_ERROR_CODES } from '@consul-sidecars/core';
import { ConsulAgentRegistry } from '../src/act/consul-agent-registry';
import { ERROR_CODES, hasErrorCode } from '../src/errors';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('registrator error catalogue', () => {
  it('every ERR_ code written in src is in the catalogue (or core\'s), with a meaning', () => {
    const used = new Set<string>();
    for (const f of sourceFiles(join(__dirname, '..', 'src'))) for (const m of readFileSync(f, 'utf8').matchAll(/'(ERR_[A-Z_]+)'/g)) used.add(m[1]);
    const catalogue: Record<string, string> = { ...CORE_ERROR_CODES, ...ERROR_CODES };
    for (const code of used) expect(catalogue[code], code).to.be.a('string').and.not.equal('');
  });

  it('the Consul adapter: no answer -> ERR_REGISTRY_UNREACHABLE', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r())); // nothing listens there now
    const consul = new ConsulHttpClient(consulSettingsFromEnv({}, `http://127.0.0.1:${port}`));
    try {
      const err = await rejection(new ConsulAgentRegistry(consul).services());
      expect(hasErrorCode(err, 'ERR_REGISTRY_UNREACHABLE'), String(err)).to.equal(true);
    } finally {
      consul.close();
    }
  });

  it('the Consul adapter: a refusal (HTTP 400) -> ERR_REGISTRY_REJECTED, Consul\'s message kept', async () => {
    const server = http.createServer((_req, res) => res.writeHead(400).end('Invalid service address'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const consul = new ConsulHttpClient(consulSettingsFromEnv({}, `http://127.0.0.1:${port}`));
    try {
      const err = await rejection(new ConsulAgentRegistry(consul).register({ id: 'x', name: 'x', tags: [], address: 'bad', port: 1, meta: {}, checks: [] }));
      expect(hasErrorCode(err, 'ERR_REGISTRY_REJECTED'), String(err)).to.equal(true);
      expect(String(err)).to.contain('Invalid service address');
    } finally {
      consul.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
