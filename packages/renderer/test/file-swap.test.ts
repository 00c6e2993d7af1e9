import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCandidate, readFileState, restoreFileState, writeBackup, writeCandidate } from '../src/act/file-swap';

describe('renderer file swap', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-swap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a hidden .tmp candidate beside the destination and renames it over, keeping the old mode', async () => {
    const dest = join(dir, 'sites.conf');
    writeFileSync(dest, 'old');
    chmodSync(dest, 0o640);
    const candidate = await writeCandidate(dest, 'new');
    expect(candidate.path.startsWith(join(dir, '.sites.conf.'))).to.equal(true);
    expect(candidate.path.endsWith('.tmp')).to.equal(true);
    expect(readFileSync(dest, 'utf8')).to.equal('old');
    expect(await installCandidate(candidate)).to.equal('rename');
    expect(readFileSync(dest, 'utf8')).to.equal('new');
    expect(statSync(dest).mode & 0o777).to.equal(0o640);
    expect(readdirSync(dir)).to.deep.equal(['sites.conf']);
  });

  it('uses configured perms, else 0644 for a new file; creates missing directories', async () => {
    const a = join(dir, 'sub', 'a.conf');
    await installCandidate(await writeCandidate(a, 'x'));
    expect(statSync(a).mode & 0o777).to.equal(0o644);
    const b = join(dir, 'b.conf');
    await installCandidate(await writeCandidate(b, 'x', { perms: 0o600 }));
    expect(statSync(b).mode & 0o777).to.equal(0o600);
  });

  it('falls back to an in-place write when rename fails with EBUSY (seam)', async () => {
    const dest = join(dir, 'bound.conf');
    writeFileSync(dest, 'old');
    const inodeBefore = statSync(dest).ino;
    const busy = { rename: async () => Promise.reject(Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' })) };
    expect(await installCandidate(await writeCandidate(dest, 'new'), busy)).to.equal('in-place');
    expect(readFileSync(dest, 'utf8')).to.equal('new');
    expect(statSync(dest).ino).to.equal(inodeBefore);
    expect(readdirSync(dir)).to.deep.equal(['bound.conf']);
  });

  it('writes into a real single-file bind mount (rename gives EBUSY there)', async function () {
    const source = join(dir, 'host.conf');
    const dest = join(dir, 'mounted.conf');
    writeFileSync(source, 'old');
    writeFileSync(dest, '');
    try {
      execFileSync('mount', ['--bind', source, dest], { stdio: 'ignore' });
    } catch {
      this.skip(); // no CAP_SYS_ADMIN here; the seam test above covers the logic
    }
    try {
      expect(await installCandidate(await writeCandidate(dest, 'new'))).to.equal('in-place');
      expect(readFileSync(source, 'utf8')).to.equal('new');
    } finally {
      execFileSync('umount', [dest]);
    }
  });

  it('restores a previous state, or removes a file that did not exist', async () => {
    const dest = join(dir, 'r.conf');
    writeFileSync(dest, 'good');
    chmodSync(dest, 0o600);
    const previous = await readFileState(dest);
    await installCandidate(await writeCandidate(dest, 'bad'));
    await restoreFileState(dest, previous);
    expect(readFileSync(dest, 'utf8')).to.equal('good');
    expect(statSync(dest).mode & 0o777).to.equal(0o600);
    await restoreFileState(dest, { content: null });
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('keeps exactly one .bak with the previous content and mode', async () => {
    const dest = join(dir, 'k.conf');
    writeFileSync(dest, 'v1');
    chmodSync(dest, 0o640);
    await writeBackup(dest, await readFileState(dest));
    writeFileSync(dest, 'v2');
    await writeBackup(dest, await readFileState(dest));
    expect(readFileSync(`${dest}.bak`, 'utf8')).to.equal('v2');
    expect(statSync(`${dest}.bak`).mode & 0o777).to.equal(0o640);
    expect(readdirSync(dir).sort()).to.deep.equal(['k.conf', 'k.conf.bak']);
  });
});
