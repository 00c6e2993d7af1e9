import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { runCommand } from '../src/act/commands';
import { applyBatch, type BatchItem } from '../src/act/batch-apply';
import { resolveRendererConfig, type TemplateConfig } from '../src/config';
import { readFileState } from '../src/act/file-swap';
import { NGINX } from './nginx-harness';

const GOOD_A = 'upstream a { server 127.0.0.1:1; }\n';
const GOOD_B = 'upstream b { server 127.0.0.1:2; }\n';
const BROKEN = 'upstream a { server 127.0.0.1:1 }\n'; // missing ';'

describe('renderer batch apply (real nginx -t)', () => {
  let dir: string;
  let validate: string[];
  const logger = silentLogger();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-batch-'));
    writeFileSync(join(dir, 'nginx.conf'), `error_log ${dir}/error.log;\npid ${dir}/nginx.pid;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n  include ${dir}/conf.d/*.conf;\n}\n`);
    mkdirSync(join(dir, 'conf.d'));
    validate = [NGINX, '-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-t', '-q'];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function template(name: string, patch: Record<string, unknown> = {}): TemplateConfig {
    return resolveRendererConfig({ templates: [{ contents: '', destination: join(dir, 'conf.d', name), validateCommand: validate, reloadCommand: ['true'], group: 'nginx', ...patch }] }).templates[0];
  }
  async function item(t: TemplateConfig, output: string): Promise<BatchItem> {
    return { template: t, output, previous: await readFileState(t.destination) };
  }
  const leftovers = () => readdirSync(join(dir, 'conf.d')).filter((f) => f.endsWith('.tmp'));

  it('two templates of one group: one validation, one reload, both files live', async () => {
    const outcome = await applyBatch('nginx', [await item(template('a.conf'), GOOD_A), await item(template('b.conf'), GOOD_B)], { logger });
    expect(outcome.result).to.equal('ok');
    expect(outcome.commands.map((c) => c.kind)).to.deep.equal(['validate', 'reload']);
    expect(readFileSync(join(dir, 'conf.d', 'a.conf'), 'utf8')).to.equal(GOOD_A);
    expect(readFileSync(join(dir, 'conf.d', 'b.conf'), 'utf8')).to.equal(GOOD_B);
    expect(leftovers()).to.deep.equal([]);
  });

  it('a broken render is swapped back out; nginx\'s own message is the error; no reload', async () => {
    const a = template('a.conf');
    await applyBatch('nginx', [await item(a, GOOD_A)], { logger });
    const outcome = await applyBatch('nginx', [await item(a, BROKEN)], { logger });
    expect(outcome.result).to.equal('validation-failed');
    expect(outcome.error).to.match(/\[emerg\].*a\.conf/);
    expect(outcome.commands.map((c) => c.kind)).to.deep.equal(['validate']);
    expect(readFileSync(a.destination, 'utf8')).to.equal(GOOD_A);
    expect(leftovers()).to.deep.equal([]);
  });

  it('one broken template does not hold back the rest of its group', async () => {
    const a = template('a.conf');
    await applyBatch('nginx', [await item(a, GOOD_A)], { logger });
    const outcome = await applyBatch('nginx', [await item(a, BROKEN), await item(template('b.conf'), GOOD_B)], { logger });
    expect(outcome.result).to.equal('validation-failed');
    expect(outcome.results).to.deep.equal({ [a.destination]: 'validation-failed', [join(dir, 'conf.d', 'b.conf')]: 'ok' });
    // together, then each alone; one reload for what went live
    expect(outcome.commands.map((c) => `${c.kind}:${c.result.ok}`)).to.deep.equal(['validate:false', 'validate:false', 'validate:true', 'reload:true']);
    expect(readFileSync(a.destination, 'utf8')).to.equal(GOOD_A);
    expect(readFileSync(join(dir, 'conf.d', 'b.conf'), 'utf8')).to.equal(GOOD_B);
    expect(leftovers()).to.deep.equal([]);
  });

  it('with {{candidate}} the live file is never touched while validating', async () => {
    const t = template('a.conf', { validateCommand: `grep -q 'server' {{candidate}} && grep -qx 'live' {{destination}}` });
    writeFileSync(t.destination, 'live\n');
    const outcome = await applyBatch('nginx', [await item(t, GOOD_A)], { logger });
    expect(outcome.result, outcome.error).to.equal('ok');
    expect(readFileSync(t.destination, 'utf8')).to.equal(GOOD_A);
    const bad = await applyBatch('nginx', [await item(t, 'nothing here\n')], { logger });
    expect(bad.result).to.equal('validation-failed');
    expect(readFileSync(t.destination, 'utf8')).to.equal(GOOD_A);
    expect(leftovers()).to.deep.equal([]);
  });

  it('a failed reload puts the previous files back', async () => {
    const t = template('a.conf', { reloadCommand: 'echo "nginx: [error] invalid PID number" >&2; exit 1', backup: true });
    await applyBatch('nginx', [await item({ ...t, reloadCommand: undefined }, GOOD_A)], { logger });
    const outcome = await applyBatch('nginx', [await item(t, GOOD_A.replace(':1', ':9'))], { logger });
    expect(outcome.result).to.equal('reload-failed');
    expect(outcome.error).to.match(/invalid PID number/);
    expect(readFileSync(t.destination, 'utf8')).to.equal(GOOD_A);
  });

  it('identical commands from several templates run once (consul-template #1448)', async () => {
    const runs: string[] = [];
    const outcome = await applyBatch('g', [await item(template('a.conf', { reloadCommand: 'reload-x' }), GOOD_A), await item(template('b.conf', { reloadCommand: 'reload-x' }), GOOD_B)], {
      logger,
      run: async (spec) => {
        runs.push(String(spec));
        return { ok: true, code: 0, signal: null, timedOut: false, stdout: '', stderr: '', durationMs: 0, command: String(spec) };
      },
    });
    expect(outcome.result).to.equal('ok');
    // nginx -t runs once, on a throwaway main config in place of -c (nginx-throwaway.ts)
    expect(runs).to.have.length(2);
    expect(runs[0]).to.match(new RegExp(`^${NGINX},-p,${dir}/,-e,${dir}/error.log,-t,-q,-c,.*/renderer-nginx-check-[^,]+/nginx\\.conf$`));
    expect(runs[1]).to.equal('reload-x');
  });

  it('nginx -t validates the candidate through a throwaway main config: the live path holds the old file throughout', async () => {
    const a = template('a.conf');
    await applyBatch('nginx', [await item(a, GOOD_A)], { logger });
    const seen: string[] = [];
    const outcome = await applyBatch('nginx', [await item(a, BROKEN)], {
      logger,
      run: async (spec, options) => {
        seen.push(readFileSync(a.destination, 'utf8'));
        return runCommand(spec, options);
      },
    });
    expect(outcome.result).to.equal('validation-failed');
    expect(outcome.error, 'nginx names the destination, not the hidden candidate').to.match(/a\.conf \(candidate\)/);
    expect(seen).to.deep.equal([GOOD_A]);
    expect(readFileSync(a.destination, 'utf8')).to.equal(GOOD_A);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`renderer-nginx-check-${process.pid}-`)), 'throwaway trees removed').to.deep.equal([]);
    expect(readdirSync(join(dir, 'conf.d')).filter((f) => f.startsWith('.')), 'no candidate, journal or previous copy left').to.deep.equal([]);
  });

  it('a validate command that reads the live path (not nginx -t) swaps in under a journal, cleared after the reload', async () => {
    const a = template('a.conf', { validateCommand: `grep -q server ${join(dir, 'conf.d', 'a.conf')}` });
    const journals: string[][] = [];
    const outcome = await applyBatch('nginx', [await item(a, GOOD_A)], {
      logger,
      run: async (spec, options) => {
        journals.push(readdirSync(join(dir, 'conf.d')).filter((f) => f.includes('renderer-journal')));
        return runCommand(spec, options);
      },
    });
    expect(outcome.result, outcome.error).to.equal('ok');
    expect(journals).to.deep.equal([['.a.conf.renderer-journal'], ['.a.conf.renderer-journal']]);
    // Cleared after the batch, without holding it up.
    await waitFor(() => readdirSync(join(dir, 'conf.d')).filter((f) => f.startsWith('.')).length === 0, { timeoutMs: 5000, message: 'journal and previous copy removed' });
  });

  it('stopped during a slow reload: past the grace its process group is killed and reaped, the journal stays for the next start', async () => {
    const marker = join(dir, 'reloaded-late');
    const t = template('a.conf', { reloadCommand: `sleep 0.6; touch ${marker}` });
    const stopping = new AbortController();
    const applying = applyBatch('nginx', [await item(t, GOOD_A)], { logger, signal: stopping.signal, stopGraceMs: 0 });
    await waitFor(() => readdirSync(join(dir, 'conf.d')).includes('a.conf'), { timeoutMs: 5000, message: 'the file live' });
    const started = Date.now();
    stopping.abort();
    const outcome = await applying;
    expect(Date.now() - started, 'the batch ends promptly').to.be.lessThan(1000);
    expect(outcome.result).to.equal('reload-failed');
    expect(outcome.error).to.match(/shutting down/);
    expect(readdirSync(join(dir, 'conf.d'))).to.include('.a.conf.renderer-journal');
    // Proving an absence: the reload would have touched the marker 0.6 s after it started; wait past that once.
    await new Promise((r) => setTimeout(r, 1000));
    expect(readdirSync(dir)).to.not.include('reloaded-late');
  });

  it('stopped during a quick reload: it finishes within the grace, the batch completes as it would have', async () => {
    const t = template('a.conf', { reloadCommand: 'sleep 0.2' });
    const stopping = new AbortController();
    const applying = applyBatch('nginx', [await item(t, GOOD_A)], { logger, signal: stopping.signal, stopGraceMs: 2000 });
    await waitFor(() => readdirSync(join(dir, 'conf.d')).includes('a.conf'), { timeoutMs: 5000, message: 'the file live' });
    stopping.abort();
    const outcome = await applying;
    expect(outcome.result, outcome.error).to.equal('ok');
    await waitFor(() => readdirSync(join(dir, 'conf.d')).filter((f) => f.startsWith('.')).length === 0, { timeoutMs: 5000, message: 'journal and previous copy removed' });
  });
});
