// @integration: the bin's template_error_fatal and its reload signal, as processes against the Consul stand-in:
// a template error exits 14 naming the template (or, with it off, keeps the last good file and goes on watching);
// SIGHUP reads the config files again, and a bad new config is logged with its file, line and key while the last
// good one keeps running. The renderer's own mode reloads its JSON config on SIGHUP the same way.

import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { runRendererBin, startRendererBin, type RunningBin } from './run-bin';
import { standinPut } from './standin-put';

describe('@integration renderer bin: template_error_fatal and the reload signal', function () {
  this.timeout(60_000);
  let standin: ConsulStandin;
  let dir: string;
  let bin: RunningBin | undefined;

  before(async () => (standin = await startConsulStandin()));
  after(() => standin?.stop());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'renderer-ct-reload-'))));
  afterEach(async () => {
    await bin?.stop();
    bin = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const put = (key: string, value: string) => standinPut(standin.url, `/v1/kv/${key}`, value);
  const contentOf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
  const until = (what: string, check: () => boolean) => waitFor(check, { timeoutMs: 20_000, message: `${what}; output so far:\n${bin?.output() ?? ''}` });

  /** A consul-template config: one Go template from a file (`port = <app port>`), the stand-in's address. */
  function ctConfig(key: string, out: string, extra = ''): { config: string; source: string } {
    const source = join(dir, 'app.ctmpl');
    writeFileSync(source, `port = {{ key "${key}" | parseInt }}\n`);
    const config = join(dir, 'ct.hcl');
    writeFileSync(config, `consul {\n  address = "${standin.address}"\n}\n${extra}template {\n  source = "${source}"\n  destination = "${out}"\n}\n`);
    return { config, source };
  }

  it('template_error_fatal (default true): a template error exits 14 and says which template', async () => {
    await put('fatal-a/port', 'abc');
    const { config, source } = ctConfig('fatal-a/port', join(dir, 'app.conf'));
    const run = await runRendererBin(['-config', config, '-no-ops']);
    expect(run.code, run.stdout + run.stderr).to.equal(14);
    expect(run.stderr).to.include(`renderer: template ${source}: `).and.to.include('parseInt');
    expect(existsSync(join(dir, 'app.conf'))).to.equal(false);
  });

  it('-template-error-fatal=false: the error is logged, the last good file stays, the watch goes on', async () => {
    await put('fatal-b/port', '8080');
    const out = join(dir, 'app.conf');
    const { config, source } = ctConfig('fatal-b/port', out);
    bin = startRendererBin(['-config', config, '-no-ops', '-template-error-fatal=false']);
    await until('first render', () => contentOf(out) === 'port = 8080\n');
    await put('fatal-b/port', 'abc');
    await until('the error logged', () => bin!.output().includes(`template ${source}: `) && bin!.output().includes('parseInt'));
    expect(bin.child.exitCode).to.equal(null);
    expect(contentOf(out)).to.equal('port = 8080\n');
    await put('fatal-b/port', '9090');
    await until('rendered again once fixed', () => contentOf(out) === 'port = 9090\n');
    bin.child.kill('SIGINT'); // the kill signal: consul-template's interrupt
    expect(await bin.exited).to.equal(12);
  });

  it('SIGHUP reads the config files again; a bad one is logged with file, line and key, and the last good one runs on', async () => {
    await put('reload/port', '1');
    const out = join(dir, 'app.conf');
    const pidFile = join(dir, 'ct.pid');
    const { config } = ctConfig('reload/port', out, `pid_file = "${pidFile}"\n`);
    bin = startRendererBin(['-config', config, '-no-ops']);
    await until('first render', () => contentOf(out) === 'port = 1\n');
    // A new template block in the file: a second destination, rendered after the reload.
    const second = join(dir, 'second.conf');
    writeFileSync(config, `${readFileSync(config, 'utf8')}template {\n  contents = "second {{ key \\"reload/port\\" }}\\n"\n  destination = "${second}"\n}\n`);
    bin.child.kill('SIGHUP');
    await until('the new template rendered', () => contentOf(second) === 'second 1\n');
    expect(readFileSync(pidFile, 'utf8')).to.equal(String(bin.child.pid));
    // An unknown key on line 3 of a new version: refused, the running config stays.
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, `consul {\n  address = "${standin.address}"\n  adress = "typo"\n}\n`);
    bin.child.kill('SIGHUP');
    await until('the bad config named', () => bin!.output().includes(`${config}:3`) && bin!.output().includes('adress'));
    expect(bin.output()).to.include('keeping the running one');
    await put('reload/port', '2');
    await until('both templates still watched', () => contentOf(out) === 'port = 2\n' && contentOf(second) === 'second 2\n');
    expect(bin.child.exitCode).to.equal(null);
    // A template that no longer parses: also refused whole.
    writeFileSync(config, good);
    writeFileSync(join(dir, 'app.ctmpl'), 'port = {{ key "reload/port" \n');
    bin.child.kill('SIGHUP');
    await until('the unparsable template named', () => (bin!.output().match(/keeping the running one/g) ?? []).length === 2);
    await put('reload/port', '3');
    await until('the last good templates still render', () => contentOf(out) === 'port = 3\n' && contentOf(second) === 'second 3\n');
    bin.child.kill('SIGINT');
    expect(await bin.exited).to.equal(12);
    expect(existsSync(pidFile), 'the pid file removed at exit').to.equal(false);
  });

  it('SIGHUP with exec {}: an unchanged exec block keeps its child, a changed one stops it and starts the new command', async () => {
    await put('exec-reload/port', '1');
    const out = join(dir, 'app.conf');
    const child = join(dir, 'child.sh');
    // The child notes its pid in the file it is given and each SIGUSR1 (its reload signal) beside it; SIGTERM ends it.
    writeFileSync(child, '#!/bin/sh\ntrap \'echo usr1 >> "$1.signals"\' USR1\necho $$ >> "$1"\nwhile :; do sleep 1; done\n');
    const execBlock = (pids: string) => `exec {\n  command = ["sh", "${child}", "${pids}"]\n  reload_signal = "SIGUSR1"\n  kill_signal = "SIGTERM"\n  kill_timeout = "2s"\n}\n`;
    const { config } = ctConfig('exec-reload/port', out, execBlock(join(dir, 'pids-1')));
    const pids = (n: number) => (contentOf(join(dir, `pids-${n}`)) ?? '').split('\n').filter(Boolean);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const running = startRendererBin(['-config', config, '-no-ops']);
    bin = running;
    try {
      await until('the child started after the first render', () => contentOf(out) === 'port = 1\n' && pids(1).length === 1);
      const first = Number(pids(1)[0]);
      running.child.kill('SIGHUP');
      await until('the reload done', () => running.output().includes('configuration reloaded'));
      await put('exec-reload/port', '2');
      await until('the new runner renders and signals the same child', () => contentOf(out) === 'port = 2\n' && contentOf(join(dir, 'pids-1.signals')) === 'usr1\n');
      expect(pids(1), 'the same child: exec {} did not change').to.deep.equal([String(first)]);
      expect(alive(first)).to.equal(true);
      writeFileSync(config, readFileSync(config, 'utf8').replace(join(dir, 'pids-1'), join(dir, 'pids-2')));
      running.child.kill('SIGHUP');
      await until('the new command started', () => pids(2).length === 1);
      await until('the old child gone', () => !alive(first));
      expect(running.child.exitCode, 'the old child stopped on purpose does not end the renderer').to.equal(null);
      running.child.kill('SIGINT');
      expect(await running.exited).to.equal(12);
    } finally {
      // A child left behind by a failure (the renderer SIGKILLed) is ours to end.
      for (const pid of [...pids(1), ...pids(2)].map(Number)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('renderer mode: SIGHUP reads the JSON config again; a bad one keeps the running config', async () => {
    await put('own/name', 'a');
    const out = join(dir, 'own.conf');
    const config = join(dir, 'renderer.json');
    const write = (text: string) => writeFileSync(config, JSON.stringify({ consul: { address: standin.address }, templates: [{ contents: text, destination: out }] }));
    write('v1 {{ key("own/name") }}\n');
    bin = startRendererBin(['-config', config, '-no-ops']);
    await until('first render', () => contentOf(out) === 'v1 a\n');
    write('v2 {{ key("own/name") }}\n');
    bin.child.kill('SIGHUP');
    await until('the new template text', () => contentOf(out) === 'v2 a\n');
    writeFileSync(config, '{"templates": [{"destination": "x", "bogus": 1}]}');
    bin.child.kill('SIGHUP');
    await until('the bad config logged', () => bin!.output().includes('keeping the running one') && bin!.output().includes('bogus'));
    await put('own/name', 'b');
    await until('the running config still watches', () => contentOf(out) === 'v2 b\n');
    bin.child.kill('SIGTERM');
    expect(await bin.exited).to.equal(0);
  });
});
