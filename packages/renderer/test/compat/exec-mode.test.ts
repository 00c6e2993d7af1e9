import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { ExecMode, parseCtConfig, planCompatConfig } from '../../src/compat';

const script = join(__dirname, 'fixtures', 'signal-logger.js');

describe('compat: exec mode from a consul-template config, with a real child', function () {
  this.timeout(30_000);
  let dir: string;
  let mode: ExecMode | undefined;
  const log = () => join(dir, 'signals.log');
  const lines = () => (existsSync(log()) ? readFileSync(log(), 'utf8').trim().split('\n').filter(Boolean) : []);
  const waitForLine = (pattern: RegExp, count = 1) => waitFor(() => lines().filter((l) => pattern.test(l)).length >= count && lines(), { timeoutMs: 10_000, message: `${count} x ${pattern}` });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'compat-exec-mode-'));
  });
  afterEach(async () => {
    await mode?.stop(true);
    mode = undefined;
    for (const line of lines()) {
      const pid = Number(/^start (\d+)/.exec(line)?.[1]);
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('config -> plan -> child started after both templates rendered, reloaded on change, SIGTERM forwarded, its exit code is ours', async () => {
    const hcl = `template {\n  source = "a.ctmpl"\n  destination = "/tmp/a"\n}\ntemplate {\n  source = "b.ctmpl"\n  destination = "/tmp/b"\n}\nexec {\n  command = ["${process.execPath}", "${script}", "${log()}"]\n  reload_signal = "SIGUSR1"\n  env {\n    custom = ["EXIT_ON=SIGTERM", "EXIT_CODE=3"]\n  }\n}\n`;
    const plan = planCompatConfig(await parseCtConfig(hcl, 'exec.hcl'));
    mode = new ExecMode({ supervisor: { ...plan.exec!, stdio: 'ignore' }, templateIds: ['/tmp/a', '/tmp/b'], process: plan.process });
    const exited = new Promise<number>((resolve) => mode!.once('exit', resolve));

    await mode.afterPass([{ id: '/tmp/a', result: 'written' }, { id: '/tmp/b', result: 'pending' }]);
    expect(mode.supervisor.running, 'not before every template rendered').to.equal(false);
    await mode.afterPass([{ id: '/tmp/b', result: 'written' }]);
    await waitForLine(/^start /);
    await mode.afterPass([{ id: '/tmp/a', result: 'written' }, { id: '/tmp/b', result: 'unchanged' }]);
    await waitForLine(/^SIGUSR1 /);
    expect(await mode.onSignal('SIGHUP')).to.deep.equal({ action: 'reload-config' }); // the renderer's own: not forwarded
    expect(await mode.onSignal('SIGTERM')).to.deep.equal({ action: 'forward', signal: 'SIGTERM' });
    expect(await exited).to.equal(3);
    expect(lines().filter((l) => /^SIG/.test(l)).map((l) => l.split(' ')[0])).to.deep.equal(['SIGUSR1', 'SIGTERM']);
  });

  it('the renderer\'s kill signal (SIGINT) is the CLI\'s to act on: it stops the child, whose exit is not reported', async () => {
    const plan = planCompatConfig(await parseCtConfig(`template {\n  destination = "/tmp/a"\n}\nexec {\n  command = ["${process.execPath}", "${script}", "${log()}"]\n  kill_signal = "SIGTERM"\n}\n`, 'exec.hcl'));
    mode = new ExecMode({ supervisor: { ...plan.exec!, stdio: 'ignore' }, templateIds: ['/tmp/a'], process: plan.process });
    let reported = false;
    mode.on('exit', () => (reported = true));
    await mode.afterPass([{ id: '/tmp/a', result: 'unchanged' }]);
    await waitForLine(/^start /);
    expect(await mode.onSignal('SIGINT')).to.deep.equal({ action: 'stop' });
    await mode.stop(true);
    await waitForLine(/^SIGTERM /);
    expect(mode.supervisor.running).to.equal(false);
    expect(reported).to.equal(false);
  });
});
