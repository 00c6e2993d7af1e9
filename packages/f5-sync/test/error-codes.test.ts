// The error-code catalogue is complete: every 'ERR_…' code written in src/ has an entry, and every entry is used.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ERROR_CODES } from '../src/error-codes';

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

  it('lists no code that src/ never uses', () => {
    expect(Object.keys(ERROR_CODES).filter((code) => !used.has(code))).to.deep.equal([]);
  });
});
