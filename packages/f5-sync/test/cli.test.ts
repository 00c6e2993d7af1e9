// #18 on the built bin: core's command-line convention (help on stdout exit 0, -version, usage errors exit 2 naming
// the flag, 78 only for config errors), -ops-port with --metrics-port kept as its alias, and the metrics every
// daemon shares (consul_sidecars_consul_reachable, consul_sidecars_errors_total{kind}).

import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { BIN, fileConfig, killChildren, metricsText, startChild, type Child } from './child';
import { startEnv, waitFor, writeConfigFile, type Env } from './support';

function runBin(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('f5-sync command line', function () {
  this.timeout(30_000);

  for (const flag of ['--help', '-help', '-h']) {
    it(`${flag}: the help on stdout, exit 0, both spellings of the ops port named`, () => {
      const { code, stdout, stderr } = runBin([flag]);
      expect(code).to.equal(0);
      expect(stderr).to.equal('');
      expect(stdout).to.match(/^usage: f5-sync --config <file>/);
      expect(stdout).to.match(/-ops-port.*-metrics-port/);
      expect(stdout).to.include('-version');
    });
  }

  it('-version: "f5-sync <version>" on stdout, exit 0', () => {
    const { code, stdout } = runBin(['-version']);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^f5-sync \d+\.\d+\.\d+\n$/);
  });

  const usage: Array<[string, string[], RegExp, Record<string, string>?]> = [
    ['an unknown flag', ['--config', 'x.json', '--bogus'], /unknown flag -bogus/],
    ['a flag without its value', ['--config'], /flag -config needs a value/],
    ['a number flag given a word', ['--ops-port', 'nine'], /flag -ops-port: invalid number "nine"/],
    ['a stray argument', ['--config', 'x.json', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [name, args, message, env] of usage) {
    it(`${name}: a usage error, exit 2, named on stderr`, () => {
      const { code, stderr } = runBin(args, env);
      expect(code, stderr).to.equal(2);
      expect(stderr).to.match(message);
    });
  }

  it('an unknown crash point (an environment value): exit 78, naming it', () => {
    const { code, stderr } = runBin(['--config', 'x.json'], { CONSUL_SIDECARS_CRASH_AT: 'f5-sync.nowhere' });
    expect(code, stderr).to.equal(78);
    expect(stderr).to.match(/CONSUL_SIDECARS_CRASH_AT="f5-sync.nowhere" names no crash point/);
  });

  it('a config error (a missing file): exit 78, naming it', () => {
    const missing = runBin(['--config', '/nonexistent/f5-sync.json']);
    expect(missing.code).to.equal(78);
    expect(missing.stderr).to.match(/cannot read config file \/nonexistent\/f5-sync\.json/);
  });
});

describe('f5-sync ops port and shared metrics @integration', function () {
  this.timeout(30_000);
  let env: Env;
  let child: Child | undefined;

  before(async () => {
    env = await startEnv();
  });
  afterEach(async () => {
    await killChildren([child]);
  });
  after(async () => {
    await env.close();
  });

  for (const flag of ['-ops-port', '--metrics-port']) {
    it(`${flag} 0 serves /metrics with consul_sidecars_consul_reachable 1 and consul_sidecars_errors_total`, async () => {
      const file = writeConfigFile(env, fileConfig(env, [{ consulService: 'ops-web', name: 'ops_pool' }]), `ops${flag}.json`);
      child = startChild(['--config', file, flag, '0']);
      const text = await waitFor(async () => {
        const body = await metricsText(child!);
        return /^consul_sidecars_consul_reachable 1$/m.test(body) ? body : undefined;
      }, { timeoutMs: 15_000, message: 'consul reachable' });
      expect(text).to.match(/^# TYPE consul_sidecars_errors_total counter$/m);
      expect(text).to.match(/^consul_sidecars_leader 1$/m);
    });
  }

  it('Consul gone: consul_sidecars_consul_reachable 0 after consecutive failures, errors counted by kind', async () => {
    const file = writeConfigFile(env, fileConfig({ ...env, consul: { ...env.consul, url: 'http://127.0.0.1:1' } } as Env, [{ consulService: 'ops-web', name: 'ops_pool' }]), 'ops-down.json');
    child = startChild(['--config', file, '-ops-port', '0']);
    const text = await waitFor(async () => {
      const body = await metricsText(child!);
      return /^consul_sidecars_consul_reachable 0$/m.test(body) && /^consul_sidecars_errors_total\{kind="ERR_CONSUL_UNAVAILABLE"\} [2-9]/m.test(body) ? body : undefined;
    }, { timeoutMs: 20_000, message: 'consul unreachable, counted' });
    expect(text).to.not.match(/^consul_sidecars_consul_reachable 1$/m);
  });
});
