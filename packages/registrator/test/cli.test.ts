// The one CLI convention (core/cli.ts, issue #18): help on stdout (0), -version (0), usage errors on stderr (2), a bad
// environment value (78); -ops-port with -metrics-port as its old spelling and REGISTRATOR_OPS_PORT as its default.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EXIT, readCommandLine } from '@consul-sidecars/core';
import { runRegistratorCli, version } from '../src/cli';
import { FLAGS, PARSE_OPTIONS, registratorConfig } from '../src/options';

const BIN = join(__dirname, '..', 'bin', 'registrator.js');

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) } };
}

describe('registrator CLI convention', () => {
  const cases: Array<{ argv: string[]; env?: NodeJS.ProcessEnv; code: number; stdout?: RegExp; stderr?: RegExp }> = [
    { argv: ['-help'], code: EXIT.ok, stdout: /^Usage of registrator:[\s\S]*-ops-port <number>.*\(also -metrics-port\)[\s\S]*-version/ },
    { argv: ['--help'], code: EXIT.ok, stdout: /^Usage of registrator:/ },
    { argv: ['-h', 'consul://127.0.0.1:1'], code: EXIT.ok, stdout: /^Usage of registrator:/ },
    { argv: ['-version'], code: EXIT.ok, stdout: new RegExp(`^registrator ${version().replace(/\./g, '\\.')}\\n$`) },
    { argv: ['--version'], code: EXIT.ok, stdout: /^registrator \S+\n$/ },
    { argv: ['role', '-help'], code: EXIT.ok, stdout: /^Usage: registrator role[\s\S]*-role-prefix[\s\S]*-dry-run/ },
    { argv: [], code: EXIT.usage, stderr: /^registrator: missing the registry URI.*\nrun `registrator -help` for the flags\n$/ },
    { argv: ['-nosuchflag', 'consul://127.0.0.1:1'], code: EXIT.usage, stderr: /unknown flag -nosuchflag/ },
    { argv: ['-ops-port', 'x', 'consul://127.0.0.1:1'], code: EXIT.usage, stderr: /flag -ops-port: invalid number "x"/ },
    { argv: ['-metrics-port', '70000', 'consul://127.0.0.1:1'], code: EXIT.usage, stderr: /-ops-port must be a port number \(got 70000\)/ },
    { argv: ['-deregister', 'sometimes', 'consul://127.0.0.1:1'], code: EXIT.usage, stderr: /-deregister must be/ },
    { argv: ['etcd://127.0.0.1:2379/x'], code: EXIT.usage, stderr: /unsupported registry "etcd:\/\/"/ },
    { argv: ['role', 'promote'], code: EXIT.usage, stderr: /^registrator role: promote takes 1 argument, got 0\nrun `registrator role -help`/ },
    { argv: ['role', 'demote', 'x'], code: EXIT.usage, stderr: /unknown verb "demote"/ },
    { argv: ['role', '-bogus', 'set', 'a', 'b'], code: EXIT.usage, stderr: /registrator role: unknown flag -bogus/ },
    { argv: ['consul://127.0.0.1:1'], env: { CONSUL_SIDECARS_CRASH_AT: 'registrator.nowhere' }, code: EXIT.config, stderr: /names no crash point/ },
    { argv: ['consul://127.0.0.1:1'], env: { REGISTRATOR_OPS_PORT: 'ninety' }, code: EXIT.config, stderr: /REGISTRATOR_OPS_PORT must be a port number \(got "ninety"\)/ },
  ];
  for (const { argv, env = {}, code, stdout, stderr } of cases) {
    it(`${argv.join(' ') || '(nothing)'}${Object.keys(env).length ? ` with ${Object.keys(env).join(', ')}` : ''} -> exit ${code}`, async () => {
      const { out, io } = capture();
      expect(await runRegistratorCli(argv, env, io), out.stderr).to.equal(code);
      if (stdout) expect(out.stdout).to.match(stdout);
      else expect(out.stdout).to.equal('');
      if (stderr) expect(out.stderr).to.match(stderr);
      else expect(out.stderr).to.equal('');
    });
  }

  it('-ops-port, its alias -metrics-port and REGISTRATOR_OPS_PORT land on one setting, the flag winning', () => {
    const config = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const line = readCommandLine([...argv, 'consul://h:1'], { name: 'registrator', version: '0', usage: '', flags: FLAGS, ...PARSE_OPTIONS });
      if (line.kind !== 'run') throw new Error(line.kind);
      return registratorConfig(line.flags, env).opsPort;
    };
    expect(config(['-ops-port', '9100'])).to.equal(9100);
    expect(config(['--metrics-port=9101'])).to.equal(9101);
    expect(config([], { REGISTRATOR_OPS_PORT: '9464' })).to.equal(9464);
    expect(config(['-ops-port', '0'], { REGISTRATOR_OPS_PORT: '9464' })).to.equal(0);
    expect(config([])).to.equal(undefined);
  });

  it('the built bin: help on stdout with exit 0, a usage error on stderr with exit 2', () => {
    const help = spawnSync(process.execPath, [BIN, '-help'], { encoding: 'utf8', timeout: 30_000 });
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^Usage of registrator:/);
    expect(help.stderr).to.equal('');
    const bad = spawnSync(process.execPath, [BIN, '-bogus'], { encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).to.equal(2);
    expect(bad.stdout).to.equal('');
    expect(bad.stderr).to.match(/unknown flag -bogus/);
  });
});
