import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envToConfig, loadConfig } from '../src';

interface Settings {
  consul: { address: string };
  resyncSeconds: number;
  dryRun: boolean;
  tags: string[];
}

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['consul'],
  properties: {
    consul: { type: 'object', additionalProperties: false, properties: { address: { type: 'string', default: '127.0.0.1:8500' } }, default: {} },
    resyncSeconds: { type: 'integer', minimum: 0, default: 0 },
    dryRun: { type: 'boolean', default: false },
    tags: { type: 'array', items: { type: 'string' }, default: [] },
  },
};

describe('core: config loading', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'cs-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fills schema defaults', () => {
    const config = loadConfig<Settings>(schema, {});
    expect(config).to.deep.equal({ consul: { address: '127.0.0.1:8500' }, resyncSeconds: 0, dryRun: false, tags: [] });
  });

  it('layers file < env < flags, coercing strings from env and flags', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ resyncSeconds: 5, tags: ['a'], consul: { address: 'file:8500' } }));
    const env = envToConfig({ CONSUL_HTTP_ADDR: 'env:8500', RESYNC: '7', EMPTY: '' }, { CONSUL_HTTP_ADDR: 'consul.address', RESYNC: 'resyncSeconds', EMPTY: 'dryRun' });
    const config = loadConfig<Settings>(schema, { file, env, flags: { resyncSeconds: 9 } });
    expect(config.consul.address).to.equal('env:8500');
    expect(config.resyncSeconds).to.equal(9);
    expect(config.tags).to.deep.equal(['a']);
    expect(config.dryRun).to.equal(false);
  });

  const bad: Array<[string, Record<string, unknown>, string, unknown]> = [
    ['a negative number', { resyncSeconds: -1 }, 'resyncSeconds', -1],
    ['a wrong type', { dryRun: 'perhaps' }, 'dryRun', 'perhaps'],
    ['an unknown setting', { resync: 3 }, 'resync', 3],
    ['a nested wrong type', { consul: { address: { host: 'x' } } }, 'consul.address', { host: 'x' }],
  ];
  for (const [what, flags, field, value] of bad) {
    it(`rejects ${what}, naming the field and value`, () => {
      let caught: unknown;
      try {
        loadConfig<Settings>(schema, { flags });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError);
      const error = caught as ConfigError;
      expect(error.details.field).to.equal(field);
      expect(error.details.value).to.deep.equal(value);
      expect(error.message).to.contain(field);
    });
  }

  it('says which file is broken JSON', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "resyncSeconds": ');
    expect(() => loadConfig<Settings>(schema, { file })).to.throw(ConfigError, /broken\.json is not valid JSON/);
  });
});
