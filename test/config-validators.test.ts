// The config validators compiled ahead of time (scripts/compile-config-schemas.js): each committed file is what its
// schema compiles to now, it answers as ajv's run-time compile of the same schema does, and no daemon loads ajv.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CONFIG_AJV_OPTIONS, validateWithSchema, type PrecompiledValidator } from '../packages/core/src';

const ROOT = join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../scripts/compile-config-schemas.js') as {
  VALIDATORS: { pkg: string; module: string; name: string; out: string }[];
  expected(entry: unknown, options: object): string;
  outPath(entry: unknown): string;
};

/** Configs each schema refuses, each for one reason (a wrong type, an unknown setting, a missing field, a bound). */
const BAD: Record<string, unknown[]> = {
  renderer: [{ consul: { waitSeconds: 0 } }, { templates: [{ source: 'x' }] }, { nope: 1 }, { templates: [{ destination: 'd', upstreamPush: { url: 'ftp://x' } }] }, { logLevel: 'loud' }],
  healer: [{}, { services: { web: { min: -1 } } }, { services: {}, extra: true }, { services: { web: { min: 'two' } } }],
  'f5-sync': [{}, { bigip: { url: 'https://b' }, pools: [{}] }, { bigip: { url: 'https://b' }, pools: [], concurrency: 0 }, { bigip: 7, pools: [] }],
};

function outcome(validate: (data: unknown) => unknown, data: unknown): string {
  try {
    validate(structuredClone(data));
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('config validators compiled ahead of time', () => {
  for (const entry of generator.VALIDATORS) {
    const path = generator.outPath(entry);
    const file = relative(ROOT, path);

    it(`${file} is what ${entry.name} compiles to (else: npm run schemas)`, () => {
      expect(readFileSync(path, 'utf8') === generator.expected(entry, CONFIG_AJV_OPTIONS), `${file} is out of date: run npm run schemas`).to.equal(true);
    });

    it(`${file} refuses what the run-time compile refuses, with the same message naming the field`, () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const schema = require(join(ROOT, 'packages', entry.pkg, 'src', entry.module))[entry.name] as object;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const precompiled = require(path).default as PrecompiledValidator;
      for (const data of BAD[entry.pkg]) {
        const ahead = outcome((d) => validateWithSchema(precompiled, d, 'config'), data);
        expect(ahead, JSON.stringify(data)).to.match(/^invalid config: /);
        expect(ahead, JSON.stringify(data)).to.equal(outcome((d) => validateWithSchema(schema, d, 'config'), data));
      }
    });
  }

  it('no daemon loads ajv itself when it reads its config (only ajv/dist/runtime helpers)', () => {
    const script = `
      const { resolveRendererConfig } = require('./packages/renderer/dist/config/resolve');
      const { parseDesiredState } = require('./packages/healer/dist/desired/desired-state');
      const { parseF5SyncConfig } = require('./packages/f5-sync/dist/config');
      resolveRendererConfig({ templates: [{ destination: '/tmp/x', contents: 'x' }] });
      parseDesiredState({ services: { web: { min: 1, scale: { composeProject: 'shop', composeFile: 'compose.yml', composeService: 'web' } } } }, { baseDir: '/srv' });
      try { parseF5SyncConfig({ bigip: { url: 'https://127.0.0.1:1' }, pools: [] }); } catch (err) { if (!/ConfigError|invalid|pool/i.test(String(err))) throw err; }
      const loaded = Object.keys(require.cache).filter((k) => k.includes('/node_modules/ajv/'));
      console.log(JSON.stringify(loaded.map((k) => k.slice(k.indexOf('/node_modules/ajv/') + 18))));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
    expect(loaded.filter((k) => !k.startsWith('dist/runtime/'))).to.deep.equal([]);
  });
});
