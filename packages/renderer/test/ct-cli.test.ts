// The bin's two command lines: which one is chosen (a table), and each one's conventions and exit codes as processes.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { chooseCliMode, configKindOf, type ConfigKind } from '../src/cli-mode';
import { loadRendererConfig } from '../src/config';
import { runRendererBin } from './run-bin';
import { standinPut } from './standin-put';

const runBin = (args: string[]) => runRendererBin(args);

describe('renderer CLI: which command line', () => {
  const kinds: Record<string, ConfigKind> = { 'r.json': 'renderer-json', 'ct.hcl': 'consul-template', 'ct.json': 'consul-template', missing: 'unreadable' };
  const kindOf = (p: string) => kinds[p] ?? 'unreadable';
  const cases: [string[], string][] = [
    [['-template', 'a.njk:a'], 'renderer'],
    [['-config', 'r.json', '-once', '-ops-port', '0'], 'renderer'],
    [['-config', 'missing'], 'renderer'], // the renderer's own error names the file
    [['-help'], 'renderer'],
    [['-version'], 'renderer'],
    [['-config', 'ct.hcl'], 'consul-template'],
    [['-config=ct.json'], 'consul-template'],
    [['-config', 'r.json', '-config', 'r.json'], 'consul-template'], // repeated -config is consul-template's
    [['-template', 'a:b', '-exec', 'app'], 'consul-template'],
    [['--consul-token=x', '-template', 'a:b'], 'consul-template'],
    [['-parse-only', '-template', 'a:b'], 'consul-template'],
    [['-pid-file', '/run/x', '-template', 'a:b'], 'consul-template'],
    // a value is not a flag, even one that names a consul-template flag
    [['-template', 'exec:out'], 'renderer'],
  ];
  for (const [argv, mode] of cases) {
    it(`${argv.join(' ')} -> ${mode}`, () => expect(chooseCliMode(argv, kindOf)).to.equal(mode));
  }

  it('a config file is judged by what it holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'renderer-cli-mode-'));
    try {
      const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      expect(configKindOf(write('a.json', '{"templates": []}'))).to.equal('renderer-json');
      expect(configKindOf(write('b.json', '{"template": [{"source": "a"}]}'))).to.equal('consul-template');
      expect(configKindOf(write('c.conf', 'template {\n  source = "a"\n}\n'))).to.equal('consul-template');
      expect(configKindOf(write('d.hcl', '{}'))).to.equal('consul-template');
      mkdirSync(join(dir, 'conf.d'));
      expect(configKindOf(join(dir, 'conf.d'))).to.equal('consul-template');
      expect(configKindOf(join(dir, 'nope.json'))).to.equal('unreadable');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-metrics-port is an alias of -ops-port', () => {
    expect(loadRendererConfig(['-metrics-port', '0'], {}).config.ops.port).to.equal(0);
    expect(loadRendererConfig(['-ops-port', '9999'], {}).config.ops.port).to.equal(9999);
  });
});

describe('@integration renderer CLI: conventions and exit codes of both modes', function () {
  this.timeout(60_000);
  let dir: string;
  let standin: ConsulStandin;

  before(async () => {
    standin = await startConsulStandin();
    await standinPut(standin.url, '/v1/kv/ct-cli/greeting', 'hello');
  });
  after(() => standin?.stop());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'renderer-ct-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('renderer mode, core\'s convention: -help on stdout exit 0, -version, usage errors 2, config errors 78', async () => {
    let help = '';
    for (const argv of [['-help'], ['-template', 'a:b', '-h']]) {
      const run = await runBin(argv);
      expect(run.code, argv.join(' ')).to.equal(0);
      expect(run.stderr).to.equal('');
      expect(run.stdout).to.match(/^usage: renderer \[flags\]/);
      help = run.stdout;
    }
    // One ops-port flag, its old spelling listed on its line; the same spellings in usage, examples and the flag list.
    expect(help).to.match(/^  -ops-port <number>\t.*\(also -metrics-port\)$/m);
    expect(help).to.match(/^  -dry\t.*\(also -dry-run\)$/m);
    expect(help).to.match(/^  -version\t/m).and.to.match(/^  -help\t/m);
    expect(help.match(/^ {2}-metrics-port/m), 'an alias is not a flag of its own').to.equal(null);
    // Every flag the text names (outside quoted commands) is one of the flag list.
    const listed = new Set([...help.matchAll(/^ {2}(-[a-z-]+)/gm)].map((m) => m[1]));
    for (const also of help.matchAll(/\(also ([^)]*)\)/g)) for (const alias of also[1].split(', ')) listed.add(alias);
    for (const flag of help.replace(/"[^"]*"/g, '').match(/(?<=\s)-[a-z][a-z-]*/g) ?? []) expect(listed.has(flag), flag).to.equal(true);
    const version = await runBin(['-version']);
    expect(version).to.deep.include({ code: 0, stderr: '' });
    expect(version.stdout).to.match(/^renderer \d+\.\d+\.\d+\n$/); // core's convention: `<bin> <version>`
    const unknown = await runBin(['-no-such-flag']);
    expect(unknown).to.deep.include({ code: 2, stdout: '' });
    expect(unknown.stderr).to.equal('renderer: unknown flag -no-such-flag\nrun `renderer -help` for the flags\n');
    expect((await runBin(['-ops-port', 'x'])).code, 'a bad flag value').to.equal(2);
    expect((await runBin(['-template', 'a:b', 'stray'])).code, 'a stray argument').to.equal(2);
    // A config that is wrong is not a usage error: EX_CONFIG (78), naming what is wrong.
    const badFile = join(dir, 'r.json');
    writeFileSync(badFile, '{"templates": [{"destination": "out", "contents": "x", "bogus": 1}]}');
    const bad = await runBin(['-config', badFile, '-once']);
    expect(bad.code).to.equal(78);
    expect(bad.stderr).to.include('bogus');
    const noTemplate = await runBin(['-once', '-no-ops']);
    expect(noTemplate.code).to.equal(78);
    expect(noTemplate.stderr).to.include('no templates');
    const missing = await runBin(['-once', '-no-ops', '-template', `${join(dir, 'nope.njk')}:${join(dir, 'out')}`]);
    expect(missing.code, 'a template file that is not there').to.equal(78);
    expect(missing.stderr).to.include(join(dir, 'nope.njk'));
  });

  it('consul-template mode: -v, -h, bad flags 13, bad config 15 naming the file and line', async () => {
    const v = await runBin(['-v', '-exec', 'true']);
    expect(v.code).to.equal(0);
    expect(v.stdout).to.match(/^renderer v\S+ \(consul-template mode\)/);
    const h = await runBin(['-exec', 'true', '-h']);
    expect(h.code).to.equal(0);
    expect(h.stdout).to.include("Exit codes (consul-template's): 0 ok, 11 error, 12 interrupted, 13 bad flags, 14 runner error");
    const bad = await runBin(['-exec', 'true', '-bogus']);
    expect(bad.code).to.equal(13);
    expect(bad.stderr).to.include('unknown flag -bogus');
    const config = join(dir, 'ct.hcl');
    writeFileSync(config, 'template {\n  source = "a.ctmpl"\n  destiantion = "out"\n}\n');
    const badConfig = await runBin(['-config', config]);
    expect(badConfig.code).to.equal(15);
    expect(badConfig.stderr).to.include(`${config}:3`).and.to.include('destiantion');
  });

  it('-parse-only: 0 when every template compiles, 14 (runner error) when one does not; nothing is written', async () => {
    writeFileSync(join(dir, 'good.ctmpl'), '{{ key "ct-cli/greeting" }}\n');
    writeFileSync(join(dir, 'bad.ctmpl'), '{{ key "ct-cli/greeting" \n');
    const ok = await runBin(['-parse-only', '-consul-addr', standin.address, '-template', `${join(dir, 'good.ctmpl')}:${join(dir, 'out')}`]);
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
    const failed = await runBin(['-parse-only', '-consul-addr', standin.address, '-template', `${join(dir, 'bad.ctmpl')}:${join(dir, 'out')}`]);
    expect(failed.code).to.equal(14);
    expect(() => readFileSync(join(dir, 'out'))).to.throw();
  });

  it('-once renders a Go template from a consul-template config and exits 0; with -exec it waits for the child and exits with its code', async () => {
    const config = join(dir, 'ct.hcl');
    const out = join(dir, 'greeting.txt');
    writeFileSync(config, `consul {\n  address = "${standin.address}"\n}\ntemplate {\n  contents = "greeting = {{ key \\"ct-cli/greeting\\" }}\\n"\n  destination = "${out}"\n}\n`);
    const once = await runBin(['-config', config, '-once', '-no-ops']);
    expect(once.code, once.stdout + once.stderr).to.equal(0);
    expect(readFileSync(out, 'utf8')).to.equal('greeting = hello\n');
    rmSync(out);
    const withExec = await runBin(['-config', config, '-once', '-no-ops', '-exec', `test -f ${out} && exit 3`]);
    expect(withExec.code, 'the child ran after the render and its code is ours').to.equal(3);
  });
});
