import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtFlagError, EXIT_CODES, ctUsage, loadCompatInvocation, parseCtCommandLine, parseTemplateArgument } from '../../src/compat';

describe('compat: consul-template command line', function () {
  this.timeout(20_000);

  describe('flags -> configuration', () => {
    const cases: [string[], Record<string, unknown>][] = [
      [['-consul-addr', '10.0.0.1:8500'], { consul: { address: '10.0.0.1:8500' } }],
      [['-consul-token=abc'], { consul: { token: 'abc' } }],
      [['-consul-ssl', '-consul-ssl-verify=false', '-consul-ssl-ca-cert', '/ca.pem'], { consul: { ssl: { enabled: true, verify: false, ca_cert: '/ca.pem' } } }],
      [['-consul-retry-attempts', '3', '-consul-retry-max-backoff', '30s'], { consul: { retry: { attempts: 3, max_backoff: { text: '30s', ms: 30_000 } } } }],
      [['-exec', 'app -x'], { exec: { enabled: true, command: 'app -x' } }],
      [['-exec-kill-signal', 'sigterm', '-exec-reload-signal', 'SIGUSR1', '-exec-kill-timeout', '5s', '-exec-splay', '1s'], { exec: { kill_signal: 'SIGTERM', reload_signal: 'SIGUSR1', kill_timeout: { text: '5s', ms: 5000 }, splay: { text: '1s', ms: 1000 } } }],
      [['-kill-signal', 'SIGQUIT', '-reload-signal', 'SIGUSR2'], { kill_signal: 'SIGQUIT', reload_signal: 'SIGUSR2' }],
      [['-pid-file', '/run/r.pid'], { pid_file: '/run/r.pid' }],
      [['-max-stale', '10m'], { max_stale: { text: '10m', ms: 600_000 } }],
      [['-wait', '2s:10s'], { wait: { min: { text: '2s', ms: 2000 }, max: { text: '10s', ms: 10_000 } } }],
      [['-wait=5s'], { wait: { min: { text: '5s', ms: 5000 }, max: undefined } }],
      [['-log-level', 'debug'], { log_level: 'debug' }],
      [['-template-error-fatal=false'], { template_error_fatal: false }],
    ];
    for (const [argv, want] of cases) {
      it(argv.join(' '), () => expect(parseCtCommandLine(argv).flagConfig).to.deep.equal(want));
    }
  });

  it('-config is repeatable and kept in order; mode flags', () => {
    const cli = parseCtCommandLine(['-config', 'a.hcl', '-config=conf.d', '-once', '-dry', '-parse-only']);
    expect(cli).to.deep.include({ configPaths: ['a.hcl', 'conf.d'], once: true, dry: true, parseOnly: true, version: false, help: false });
    expect(parseCtCommandLine(['-v']).version).to.equal(true);
    expect(parseCtCommandLine(['--version']).version).to.equal(true);
    expect(parseCtCommandLine(['-h']).help).to.equal(true);
    expect(parseCtCommandLine(['-help']).help).to.equal(true);
    expect(ctUsage()).to.contain('-exec-reload-signal').and.to.contain('15 bad config');
  });

  describe('-template "source:destination:command"', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['in.ctmpl:out.conf', { source: 'in.ctmpl', destination: 'out.conf' }],
      ['in.ctmpl:out.conf:nginx -s reload', { source: 'in.ctmpl', destination: 'out.conf', command: 'nginx -s reload' }],
      ['in:out:sh -c "a:b"', { source: 'in', destination: 'out', command: 'sh -c "a:b"' }], // the rest, colons included
      ['in.ctmpl', { source: 'in.ctmpl' }],
    ];
    for (const [text, want] of cases) {
      it(text, () => {
        const { origin, ...rest } = parseTemplateArgument(text);
        expect(rest).to.deep.equal(want);
        expect(origin).to.equal(`-template ${text}`);
      });
    }
  });

  describe('bad flags: CtFlagError, exit code 13 (ExitCodeParseFlagsError)', () => {
    const cases: [string[], RegExp][] = [
      [['-nope'], /unknown flag -nope/],
      [['-kill-signal', 'HUP'], /-kill-signal: invalid signal "HUP"/],
      [['-max-stale', '10'], /-max-stale: invalid duration "10"/],
      [['-wait', '10s:5s'], /-wait: max \(5s\) is less than min \(10s\)/],
      [['-wait', 'a:b:c'], /-wait: invalid "a:b:c"/],
      [['-once=maybe'], /invalid boolean "maybe"/],
      [['-consul-addr'], /needs a value/],
      [['stray'], /unexpected argument "stray"/],
    ];
    for (const [argv, want] of cases) {
      it(argv.join(' '), () => {
        try {
          parseCtCommandLine(argv);
          expect.fail('should refuse');
        } catch (err) {
          expect(err).to.be.instanceOf(CtFlagError);
          expect((err as CtFlagError).exitCode).to.equal(EXIT_CODES.parseFlags);
          expect((err as Error).message).to.match(want);
        }
      });
    }
  });

  it('exit codes are consul-template\'s (cli.go)', () => {
    // cli.go: `ExitCodeOK int = 0` then `ExitCodeError = 10 + iota` (iota 1 there): 11, 12, 13, 14, 15.
    expect(EXIT_CODES).to.deep.equal({ ok: 0, error: 11, interrupt: 12, parseFlags: 13, runner: 14, config: 15 });
  });

  describe('flags over config files', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'compat-flags-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('flags win over files; -template entries come after the files\'; -template-error-fatal overrides every template', async () => {
      const file = join(dir, 'ct.hcl');
      writeFileSync(file, 'consul {\n  address = "file:8500"\n  token = "from-file"\n}\nlog_level = "info"\ntemplate {\n  source = "a.ctmpl"\n  destination = "a.conf"\n  error_fatal = true\n}\nexec {\n  command = "from-file"\n  kill_timeout = "3s"\n}\n');
      const { config, plan, commandLine } = await loadCompatInvocation(
        ['-config', file, '-consul-addr', 'flag:8500', '-log-level', 'debug', '-template', 'b.ctmpl:b.conf:reload-b', '-exec', 'from-flag', '-template-error-fatal=false', '-once'],
        { cwd: dir },
      );
      expect(commandLine.once).to.equal(true);
      expect(config.consul).to.deep.equal({ address: 'flag:8500', token: 'from-file' });
      expect(config.log_level).to.equal('debug');
      expect(config.template!.map((t) => [t.source, t.error_fatal])).to.deep.equal([['a.ctmpl', false], ['b.ctmpl', false]]);
      expect(config.exec).to.deep.include({ command: 'from-flag', enabled: true, kill_timeout: { text: '3s', ms: 3000 } });
      expect(plan.rendererConfig.once).to.equal(true);
      expect((plan.rendererConfig.templates as { source: string }[]).map((t) => t.source)).to.deep.equal([join(dir, 'a.ctmpl'), join(dir, 'b.ctmpl')]);
      expect(plan.exec?.argv).to.deep.equal(['from-flag']);
    });
  });
});
