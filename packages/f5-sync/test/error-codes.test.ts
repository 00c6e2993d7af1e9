// The error-code catalogue is complete: every 'ERR_…' code written in src/ has an entry, and every entry is used
// (by src/, or by core on f5-sync's behalf).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CORE_ERROR_CODES } from '@consul-sidecars/core';
import { ERROR_CODES, RAISED_BY_CORE } from '../src/error-codes';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && entry.name !== 'error-codes.ts' ? [path] : [];
  });
}

describe('error-code catalogue', () => {
  const used = new Set<string>();
  for (const file of sources(join(__dirname, '..', 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) used.add(match[1]);
  }

  it('lists every code src/ raises or branches on, each with a one-line meaning', () => {
    expect([...used].filter((code) => !(code in ERROR_CODES))).to.deep.equal([]);
    for (const meaning of Object.values(ERROR_CODES)) expect(meaning).to.be.a('string').and.not.contain('\n');
  });

  it('lists no code that neither src/ nor core (for f5-sync) raises', () => {
    const fromCore = new Set<string>(RAISED_BY_CORE);
    expect(Object.keys(ERROR_CODES).filter((code) => !used.has(code) && !fromCore.has(code))).to.deep.equal([]);
    expect(RAISED_BY_CORE.filter((code) => !(code in CORE_ERROR_CODES))).to.deep.equal([]);
  });
});
