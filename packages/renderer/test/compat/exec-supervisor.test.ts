import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { ExecSupervisor, childEnvironment, exitCodeOf, routeSignal, type ChildExit, type ExecSupervisorOptions, type SignalRoute } from '../../src/compat';

const script = join(__dirname, 'fixtures', 'signal-logger.js');

describe('compat: exec supervisor (consul-template exec mode)', function () {
  this.timeout(30_000);

  describe('routeSignal: what the renderer does with a signal it receives (cli.go)', () => {
    const settings = { killSignal: 'SIGINT', reloadSignal: 'SIGHUP' } as const;
    const cases: [string, boolean, SignalRoute][] = [
      ['SIGHUP', true, { action: 'reload-config' }], // its own reload signal: re-read config and templates, not forwarded
      ['SIGINT', true, { action: 'stop' }], // its own kill signal: stop the child immediately, exit 12
      ['SIGTERM', true, { action: 'forward', signal: 'SIGTERM' }], // anything else goes to the child
      ['SIGUSR1', true, { action: 'forward', signal: 'SIGUSR1' }],
      ['SIGTERM', false, { action: 'stop' }], // no child: the renderer's rule, SIGTERM stops it
      ['SIGUSR1', false, { action: 'ignore' }],
    ];
    for (const [signal, running, want] of cases) {
      it(`${signal}${running ? '' : ' (no child)'} -> ${want.action}`, () => expect(routeSignal(signal as 'SIGHUP', settings, running)).to.deep.equal(want));
    }
  });

  describe('childEnvironment (EnvConfig.Env)', () => {
    const base = { PATH: '/bin', CONSUL_HTTP_TOKEN: 't', CONSUL_HTTP_ADDR: 'a', HOME: '/root' };
    const cases: [string, Parameters<typeof childEnvironment>[0], Record<string, string>][] = [
      ['inherits everything by default', {}, base],
      ['pristine: only custom', { pristine: true, custom: ['A=1'] }, { A: '1' }],
      ['denylist globs', { denylist: ['CONSUL_*'] }, { PATH: '/bin', HOME: '/root' }],
      ['allowlist globs, then custom', { allowlist: ['PATH', 'H?ME'], custom: ['X=a=b'] }, { PATH: '/bin', HOME: '/root', X: 'a=b' }],
      ['allow then deny', { allowlist: ['CONSUL_*'], denylist: ['*TOKEN'] }, { CONSUL_HTTP_ADDR: 'a' }],
    ];
    for (const [name, env, want] of cases) it(name, () => expect(childEnvironment(env, base)).to.deep.equal(want));
  });

  it('exitCodeOf: the child\'s status, 255 when a signal ended it (os.Exit(-1) in consul-template)', () => {
    expect(exitCodeOf({ code: 3, signal: null })).to.equal(3);
    expect(exitCodeOf({ code: null, signal: 'SIGKILL' })).to.equal(255);
  });

  describe('with real child processes', () => {
    let dir: string;
    let log: string;
    let supervisor: ExecSupervisor | undefined;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'compat-exec-'));
      log = join(dir, 'signals.log');
    });
    afterEach(async () => {
      await supervisor?.stop(true);
      supervisor = undefined;
      // Whatever a failed test left running (a child below sh) goes too.
      for (const line of lines()) {
        const pid = Number(/^start (\d+)/.exec(line)?.[1]);
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    });

    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
    const waitForLine = (pattern: RegExp, count = 1) =>
      waitFor(() => lines().filter((l) => pattern.test(l)).length >= count && lines(), { timeoutMs: 10_000, message: `${count} x ${pattern} in the child's log` });
    const make = (overrides: Partial<ExecSupervisorOptions> = {}, env: Record<string, string> = {}) => {
      supervisor = new ExecSupervisor({
        argv: [process.execPath, script, log],
        reloadSignal: 'SIGHUP',
        killSignal: 'SIGINT',
        killTimeoutMs: 5000,
        splayMs: 0,
        env: { custom: Object.entries(env).map(([k, v]) => `${k}=${v}`) },
        stdio: 'ignore',
        ...overrides,
      });
      return supervisor;
    };
    const nextExit = (s: ExecSupervisor) => new Promise<ChildExit>((resolve) => s.once('exit', resolve));

    it('starts once; a change sends the reload signal to the same process', async () => {
      const s = make({ reloadSignal: 'SIGUSR1' });
      await s.start();
      await s.start(); // a second complete render does not start a second child
      const [start] = await waitForLine(/^start /);
      const pid = Number(start.split(' ')[1]);
      expect(s.pid).to.equal(pid);
      await s.reload();
      await waitForLine(/^SIGUSR1 /, 1); // one at a time: two pending signals of one kind coalesce (POSIX)
      await s.reload();
      await waitForLine(/^SIGUSR1 /, 2);
      expect(lines().filter((l) => l.startsWith('start '))).to.have.length(1);
      expect(lines().filter((l) => l.startsWith('SIGUSR1 ')).every((l) => l.endsWith(String(pid)))).to.equal(true);
    });

    it('no reload signal: a change stops the child with kill_signal and starts a new one; that exit is not reported', async () => {
      const s = make({ reloadSignal: null, killSignal: 'SIGTERM' });
      let reported = false;
      s.on('exit', () => (reported = true));
      await s.start();
      const [first] = await waitForLine(/^start /);
      await s.reload();
      await waitForLine(/^start /, 2);
      const starts = lines().filter((l) => l.startsWith('start '));
      expect(starts[0]).to.not.equal(starts[1]);
      expect(lines()).to.include(`SIGTERM ${first.split(' ')[1]}`);
      expect(s.pid).to.equal(Number(starts[1].split(' ')[1]));
      expect(reported).to.equal(false);
    });

    it('forwards other signals; the child dying on its own is reported with its exit code', async () => {
      const s = make({}, { EXIT_ON: 'SIGTERM', EXIT_CODE: '7' } as Record<string, string>);
      // EXIT_ON/EXIT_CODE reach the child through exec env custom
      await s.start();
      await waitForLine(/^start /);
      const exit = nextExit(s);
      await s.signal('SIGUSR2');
      await waitForLine(/^SIGUSR2 /);
      await s.signal('SIGTERM'); // consul-template forwards SIGTERM (not its kill signal) to the child
      expect(await exit).to.deep.equal({ code: 7, signal: null });
      expect(exitCodeOf(await exit)).to.equal(7);
      expect(s.running).to.equal(false);
    });

    it('stop: kill_signal, then SIGKILL once kill_timeout has passed', async () => {
      const s = make({ killSignal: 'SIGINT', killTimeoutMs: 300 }, { EXIT_ON: 'none' });
      await s.start();
      const [start] = await waitForLine(/^start /);
      const pid = Number(start.split(' ')[1]);
      const began = Date.now();
      await s.stop(true);
      const took = Date.now() - began;
      expect(lines()).to.include(`SIGINT ${pid}`);
      expect(took).to.be.at.least(290);
      expect(() => process.kill(pid, 0)).to.throw(/ESRCH/);
      expect(s.running).to.equal(false);
    });

    it('stop: a child that honours kill_signal is not SIGKILLed and is not reported as an exit', async () => {
      const s = make({ killSignal: 'SIGTERM', killTimeoutMs: 10_000 });
      let reported = false;
      s.on('exit', () => (reported = true));
      await s.start();
      await waitForLine(/^start /);
      const began = Date.now();
      await s.stop();
      expect(Date.now() - began).to.be.below(5000);
      expect(lines().some((l) => l.startsWith('SIGTERM '))).to.equal(true);
      expect(reported).to.equal(false);
      await s.start(); // stopped for good
      expect(s.running).to.equal(false);
    });

    it('splay: the reload signal waits a random part of the splay (here a fixed half of 400 ms)', async () => {
      const s = make({ reloadSignal: 'SIGUSR1', splayMs: 400, random: () => 0.5 });
      await s.start();
      await waitForLine(/^start /);
      const began = Date.now();
      await s.reload();
      expect(Date.now() - began).to.be.within(190, 3000);
      await waitForLine(/^SIGUSR1 /);
    });

    it('a command string runs through sh -c; signals go to its process group; env custom and denylist apply', async () => {
      process.env.SECRET_TOKEN = 'leak';
      try {
        // sh traps the signals (so it outlives them) and runs node as a child: node gets them through the group.
        const s = make({ argv: ['sh', '-c', `trap : USR1 INT; ${process.execPath} ${script} ${log}; echo done`], reloadSignal: 'SIGUSR1', env: { custom: ['APP_ENV=prod'], denylist: ['SECRET_*'] } });
        await s.start();
        const [start] = await waitForLine(/^start /);
        expect(start).to.match(/APP_ENV=prod SECRET=$/);
        expect(Number(start.split(' ')[1])).to.not.equal(s.pid); // node is sh's child, not sh
        await s.reload();
        await waitForLine(/^SIGUSR1 /);
        expect(s.running).to.equal(true);
        await s.stop(true);
        await waitForLine(/^SIGINT /);
      } finally {
        delete process.env.SECRET_TOKEN;
      }
    });

    it('a command that cannot start is an error naming it', async () => {
      const s = make({ argv: [join(dir, 'no-such-binary')] });
      try {
        await s.start();
        expect.fail('should not start');
      } catch (err) {
        expect((err as Error).message).to.match(/exec: cannot start .*no-such-binary.*ENOENT/);
      }
    });
  });
});
