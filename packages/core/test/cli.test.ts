// The one command-line convention: help on stdout (0), -version (0), usage errors on stderr (2), config errors (78),
// aliases of renamed flags that keep working and are listed under the flag they stand for.

import { expect } from 'chai';
import { ConfigError, EXIT, helpText, readCommandLine, runCommandLine, type CommandLineSpec } from '../src';

const SPEC: CommandLineSpec = {
  name: 'daemon',
  version: '1.2.3',
  usage: 'usage: daemon [flags] <registry URI>',
  flags: {
    'ops-port': { type: 'number', path: 'ops.port', description: 'serve /metrics and /health on 127.0.0.1:<port>' },
    'metrics-port': { type: 'number', aliasOf: 'ops-port' },
    once: { type: 'boolean', description: 'one pass, then exit' },
  },
};

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

describe('core: the command-line convention', () => {
  const cases: Array<{ argv: string[]; code: number; stdout?: RegExp; stderr?: RegExp }> = [
    { argv: ['-help'], code: EXIT.ok, stdout: /^usage: daemon[\s\S]*-ops-port <number>.*\(also -metrics-port\)[\s\S]*-version/ },
    { argv: ['--help'], code: EXIT.ok, stdout: /^usage: daemon/ },
    { argv: ['-h'], code: EXIT.ok, stdout: /^usage: daemon/ },
    { argv: ['-once', '-help'], code: EXIT.ok, stdout: /^usage: daemon/ },
    { argv: ['-version'], code: EXIT.ok, stdout: /^daemon 1\.2\.3\n$/ },
    { argv: ['--version'], code: EXIT.ok, stdout: /^daemon 1\.2\.3\n$/ },
    { argv: ['-v'], code: EXIT.ok, stdout: /^daemon 1\.2\.3\n$/ },
    { argv: ['-bogus'], code: EXIT.usage, stderr: /daemon: unknown flag -bogus\nrun `daemon -help` for the flags/ },
    { argv: ['-ops-port', 'x'], code: EXIT.usage, stderr: /flag -ops-port: invalid number "x"/ },
    { argv: ['-ops-port'], code: EXIT.usage, stderr: /flag -ops-port needs a value/ },
  ];
  for (const { argv, code, stdout, stderr } of cases) {
    it(`${argv.join(' ')} -> exit ${code}`, async () => {
      const { out, io: streams } = io();
      let ran = false;
      expect(await runCommandLine(argv, SPEC, async () => ((ran = true), 0), streams)).to.equal(code);
      expect(ran).to.equal(false);
      if (stdout) expect(out.stdout).to.match(stdout);
      else expect(out.stdout).to.equal('');
      if (stderr) expect(out.stderr).to.match(stderr);
      else expect(out.stderr).to.equal('');
    });
  }

  it('an alias lands on the flag it stands for; the old spelling keeps working', () => {
    const old = readCommandLine(['-metrics-port', '9464'], SPEC);
    const current = readCommandLine(['--ops-port=9464'], SPEC);
    expect(old).to.deep.equal(current);
    expect(old.kind === 'run' && old.flags.values).to.deep.equal({ 'ops.port': 9464 });
    expect(helpText(SPEC)).not.to.match(/^\s+-metrics-port/m);
  });

  it("runs the command with its flags and exits with the command's code", async () => {
    const { io: streams } = io();
    expect(await runCommandLine(['-once', 'consul://x'], SPEC, async (flags) => (flags.values.once && flags.positionals[0] === 'consul://x' ? 1 : 0), streams)).to.equal(EXIT.failure);
  });

  it('a config error from the command exits 78 naming it; anything else thrown exits 1', async () => {
    const config = io();
    expect(await runCommandLine([], SPEC, async () => { throw new ConfigError('pools[0].consulService: expected a string, got 5', { field: 'pools[0].consulService' }); }, config.io)).to.equal(EXIT.config);
    expect(config.out.stderr).to.equal('daemon: pools[0].consulService: expected a string, got 5\n');
    const other = io();
    expect(await runCommandLine([], SPEC, async () => { throw new Error('boom'); }, other.io)).to.equal(EXIT.failure);
    expect(other.out.stderr).to.equal('daemon: boom\n');
  });
});
