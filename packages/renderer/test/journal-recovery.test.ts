import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@consul-sidecars/core';
import type { CommandResult } from '../src/act/commands';
import { readFileState } from '../src/act/file-swap';
import { writeJournal, type JournalPhase } from '../src/act/journal';
import { recoverJournals } from '../src/act/journal-recovery';
import { resolveRendererConfig, type TemplateConfig } from '../src/config';

describe('renderer journal recovery at start', () => {
  let dir: string;
  let runs: string[];
  let reloadOk: boolean;
  const run = async (spec: unknown): Promise<CommandResult> => {
    runs.push(String(spec));
    return { ok: reloadOk, code: reloadOk ? 0 : 1, signal: null, timedOut: false, stdout: '', stderr: reloadOk ? '' : 'reload refused', durationMs: 0, command: String(spec) };
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-journal-'));
    runs = [];
    reloadOk = true;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const template = (name: string): TemplateConfig =>
    resolveRendererConfig({ templates: [{ contents: '', destination: join(dir, name), reloadCommand: 'reload-nginx', group: 'nginx' }] }).templates[0];
  /** A renderer killed in `phase`: the live file holds `live`, the candidate (if any) `candidate`, the previous bytes `old`. */
  async function killedIn(t: TemplateConfig, phase: JournalPhase, files: { old: string; live: string; candidate?: string }) {
    writeFileSync(t.destination, files.old);
    const previous = await readFileState(t.destination);
    const candidate = join(dir, `.${t.destination.split('/').pop()}.999999.0badcafe.tmp`);
    if (files.candidate !== undefined) writeFileSync(candidate, files.candidate);
    await writeJournal(t.destination, phase, candidate, previous);
    writeFileSync(t.destination, files.live);
  }
  const hidden = () => readdirSync(dir).filter((f) => f.startsWith('.'));

  const cases: { phase: JournalPhase; live: string; candidate?: string; want: string; reloads: number; title: string }[] = [
    { title: 'killed while a live-path validator ran: the unvalidated file goes, the previous comes back, no reload', phase: 'validating', live: 'broken', want: 'old', reloads: 0 },
    { title: 'killed after the swap, before the reload: the validated file stays and nginx is reloaded', phase: 'reloading', live: 'new', want: 'new', reloads: 1 },
    { title: 'killed after the journal, before the rename: the validated candidate goes live, then the reload', phase: 'reloading', live: 'old', candidate: 'new', want: 'new', reloads: 1 },
    { title: 'killed while undoing a failed reload: the previous file comes back', phase: 'undoing', live: 'new', want: 'old', reloads: 0 },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      const t = template('sites.conf');
      await killedIn(t, c.phase, { old: 'old', live: c.live, candidate: c.candidate });
      const report = await recoverJournals([t], { logger: silentLogger(), run });
      expect(readFileSync(t.destination, 'utf8')).to.equal(c.want);
      expect(runs).to.have.length(c.reloads);
      expect(report.reloads).to.have.length(c.reloads);
      expect(hidden(), 'journal, previous copy and candidate gone').to.deep.equal([]);
      // Nothing left: a second start does nothing.
      await recoverJournals([t], { logger: silentLogger(), run });
      expect(runs).to.have.length(c.reloads);
    });
  }

  it('two destinations with the same reload: one reload; a failed pending reload puts the previous files back', async () => {
    const a = template('a.conf');
    const b = template('b.conf');
    await killedIn(a, 'reloading', { old: 'old-a', live: 'new-a' });
    await killedIn(b, 'reloading', { old: 'old-b', live: 'new-b' });
    reloadOk = false;
    const report = await recoverJournals([a, b], { logger: silentLogger(), run });
    expect(runs).to.deep.equal(['reload-nginx']);
    expect(report.undone.sort()).to.deep.equal([a.destination, b.destination].sort());
    expect([readFileSync(a.destination, 'utf8'), readFileSync(b.destination, 'utf8')]).to.deep.equal(['old-a', 'old-b']);
    expect(hidden()).to.deep.equal([]);
  });
});
