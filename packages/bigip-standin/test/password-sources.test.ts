// Issue #14 item 8 and #18: the stand-in's password from a file or the environment, never needed in argv (where `ps`
// shows it); `--password` still works, with a warning; the CLI convention (help on stdout 0, -version, usage 2, 78).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordSourceError, resolvePassword } from '../src/auth';
import { readCommand, version } from '../src/cli';
import { waitFor } from './helpers';

const BIN = join(__dirname, '..', 'bin', 'bigip-standin.js');

describe('bigip-standin: where the password comes from', () => {
  const files: Record<string, string> = { '/run/secrets/bigip': 's3cret\n', '/crlf': 'w1n\r\n', '/empty': '\n', '/two-lines': 'a\nb\n' };
  const fakeRead = (path: string): string => {
    if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return files[path] as string;
  };
  const cases: Array<{ title: string; flags?: { password?: string; passwordFile?: string }; env?: NodeJS.ProcessEnv; password?: string; source?: string; warns?: boolean; error?: RegExp; usage?: boolean }> = [
    { title: 'nothing given: the default account', source: 'default' },
    { title: '--password-file: the content without its trailing newline', flags: { passwordFile: '/run/secrets/bigip' }, password: 's3cret', source: '--password-file' },
    { title: 'a CRLF file', flags: { passwordFile: '/crlf' }, password: 'w1n' },
    { title: 'only one trailing newline is dropped', flags: { passwordFile: '/two-lines' }, password: 'a\nb' },
    { title: '--password works, with a warning naming ps', flags: { password: 'p' }, password: 'p', source: '--password', warns: true },
    { title: 'BIGIP_STANDIN_PASSWORD', env: { BIGIP_STANDIN_PASSWORD: 'e1' }, password: 'e1', source: 'BIGIP_STANDIN_PASSWORD' },
    { title: 'BIGIP_STANDIN_PASSWORD_FILE', env: { BIGIP_STANDIN_PASSWORD_FILE: '/run/secrets/bigip' }, password: 's3cret', source: 'BIGIP_STANDIN_PASSWORD_FILE' },
    { title: "BIGIP_PASSWORD (the stack's secrets file) last", env: { BIGIP_PASSWORD: 'shared' }, password: 'shared', source: 'BIGIP_PASSWORD' },
    { title: 'BIGIP_STANDIN_PASSWORD beats BIGIP_PASSWORD', env: { BIGIP_STANDIN_PASSWORD: 'mine', BIGIP_PASSWORD: 'shared' }, password: 'mine' },
    { title: 'a flag beats the environment', flags: { passwordFile: '/run/secrets/bigip' }, env: { BIGIP_STANDIN_PASSWORD: 'e1' }, password: 's3cret' },
    { title: 'both flags: a usage error', flags: { password: 'p', passwordFile: '/run/secrets/bigip' }, error: /--password or --password-file, not both/, usage: true },
    { title: 'an empty --password: a usage error', flags: { password: '' }, error: /--password must not be empty/, usage: true },
    { title: 'a missing file names the flag and the path', flags: { passwordFile: '/nope' }, error: /--password-file: cannot read "\/nope": ENOENT/, usage: false },
    { title: 'an empty file', flags: { passwordFile: '/empty' }, error: /--password-file: "\/empty" is empty/, usage: false },
    { title: 'a missing env file names the variable', env: { BIGIP_STANDIN_PASSWORD_FILE: '/nope' }, error: /BIGIP_STANDIN_PASSWORD_FILE: cannot read/, usage: false },
    { title: 'both env variables: refused', env: { BIGIP_STANDIN_PASSWORD_FILE: '/run/secrets/bigip', BIGIP_STANDIN_PASSWORD: 'e1' }, error: /not both/, usage: false },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const resolve = () => resolvePassword(c.flags ?? {}, c.env ?? {}, fakeRead);
      if (c.error) {
        expect(resolve).to.throw(PasswordSourceError, c.error);
        try {
          resolve();
        } catch (error) {
          expect((error as PasswordSourceError).usage).to.equal(c.usage);
        }
        return;
      }
      const setting = resolve();
      expect(setting.password).to.equal(c.password);
      if (c.source) expect(setting.source).to.equal(c.source);
      expect(setting.warnings.join(' ')).to.match(c.warns ? /ps/ : /^$/);
    });
  }

  it('the command line: help anywhere, a lone -version, else the options', () => {
    expect(readCommand(['--port', '1', '-help'], { env: {} })).to.deep.equal({ kind: 'help' });
    expect(readCommand(['-h'], { env: {} })).to.deep.equal({ kind: 'help' });
    expect(readCommand(['-version'], { env: {} })).to.deep.equal({ kind: 'version' });
    const run = readCommand(['--password-file', '/run/secrets/bigip', '--http'], { env: {}, readFile: fakeRead });
    expect(run).to.deep.equal({ kind: 'run', options: { tls: false, password: 's3cret' }, warnings: [] });
  });

  describe('as a process', function () {
    this.timeout(30_000);
    let child: ChildProcess | undefined;
    let directory: string;
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'bigip-standin-secrets-'));
    });
    afterEach(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child?.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      child = undefined;
      await rm(directory, { recursive: true, force: true });
    });

    /** Starts the bin, waits for its URL; returns it with what it wrote on stderr. */
    const start = async (args: string[], env: NodeJS.ProcessEnv) => {
      const started = spawn(process.execPath, [BIN, '--http', '--port', '0', '--user', 'ops', ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let stdout = '';
      let stderr = '';
      started.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await waitFor('the URL line', () => stdout.includes('\n'), 15_000);
      return { url: stdout.trim(), stderr: () => stderr, pid: started.pid as number };
    };
    const status = async (url: string, password: string) => (await fetch(`${url}/mgmt/tm/sys/version`, { headers: { authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` } })).status;

    it('BIGIP_STANDIN_PASSWORD and --password-file: the password works and is nowhere in its command line', async () => {
      const fromEnv = await start([], { BIGIP_STANDIN_PASSWORD: 'env-s3cret' });
      expect(await status(fromEnv.url, 'env-s3cret')).to.equal(200);
      expect(await status(fromEnv.url, 'admin')).to.equal(401);
      expect(await readFile(`/proc/${fromEnv.pid}/cmdline`, 'utf8')).not.to.include('env-s3cret');
      expect(fromEnv.stderr()).not.to.include('warning');
      child?.kill('SIGTERM');
      await new Promise((resolve) => child?.once('exit', resolve));

      const file = join(directory, 'password');
      await writeFile(file, 'file-s3cret\n', { mode: 0o600 });
      const fromFile = await start(['--password-file', file], {});
      expect(await status(fromFile.url, 'file-s3cret')).to.equal(200);
      expect(await readFile(`/proc/${fromFile.pid}/cmdline`, 'utf8')).not.to.include('file-s3cret');
    });

    it('--password still works and warns on stderr', async () => {
      const started = await start(['--password', 'argv-s3cret'], {});
      expect(await status(started.url, 'argv-s3cret')).to.equal(200);
      expect(started.stderr()).to.match(/bigip-standin: warning: --password puts the password where every local user sees it \(ps/);
      expect(started.stderr()).not.to.include('argv-s3cret');
    });

    it('help on stdout with exit 0, -version, a usage error 2, an unreadable password file 78', () => {
      const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH } });
      const help = run(['-help']);
      expect([help.status, help.stderr]).to.deep.equal([0, '']);
      expect(help.stdout).to.match(/^usage: bigip-standin[\s\S]*--password-file <file>[\s\S]*BIGIP_STANDIN_PASSWORD/);
      const shown = run(['-version']);
      expect([shown.status, shown.stdout]).to.deep.equal([0, `bigip-standin ${version()}\n`]);
      const bad = run(['--nope']);
      expect(bad.status).to.equal(2);
      expect(bad.stdout).to.equal('');
      expect(bad.stderr).to.match(/^bigip-standin: Unknown option '--nope'[\s\S]*run `bigip-standin -help`/);
      const missing = run(['--password-file', join(directory, 'absent')]);
      expect(missing.status).to.equal(78);
      expect(missing.stderr).to.match(/--password-file: cannot read ".*absent"/);
    });
  });
});
