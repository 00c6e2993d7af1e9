import { expect } from 'chai';
import axios from 'axios';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCliOptions } from '../src/cli';
import { waitFor } from './helpers';

// The bin runs the compiled CLI: `npx tsc -b packages/bigip-standin` first.
const BIN = join(__dirname, '..', 'bin', 'bigip-standin.js');

describe('bigip-standin CLI', () => {
  it('parses flags', () => {
    expect(parseCliOptions(['--port', '8443', '--user', 'u', '--password', 'p', '--host', '0.0.0.0', '--ca-out', '/tmp/ca.pem'])).to.deep.equal({
      help: false,
      tls: true,
      port: 8443,
      host: '0.0.0.0',
      user: 'u',
      password: 'p',
      caOut: '/tmp/ca.pem',
    });
    expect(parseCliOptions(['--http', '--token-timeout', '5'])).to.include({ tls: false, tokenTimeoutSeconds: 5 });
    expect(() => parseCliOptions(['--port', 'x'])).to.throw(/--port/);
    expect(() => parseCliOptions(['--bogus'])).to.throw();
  });

  describe('as a process', () => {
    let child: ChildProcess | undefined;
    let directory: string;
    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'bigip-standin-cli-'));
    });
    afterEach(async () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(directory, { recursive: true, force: true });
    });

    it('prints its URL, serves HTTPS verified by --ca-out, and stops on SIGTERM within 5 s', async () => {
      const caFile = join(directory, 'ca.pem');
      const started = spawn(process.execPath, [BIN, '--port', '0', '--user', 'ops', '--password', 's3cret', '--ca-out', caFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let stdout = '';
      started.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await waitFor('the URL line', () => stdout.includes('\n'), 10000);
      const url = stdout.trim();
      expect(url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);

      const ca = await readFile(caFile, 'utf8');
      const response = await axios.get(`${url}/mgmt/tm/sys/version`, { httpsAgent: new Agent({ ca }), auth: { username: 'ops', password: 's3cret' } });
      expect(response.status).to.equal(200);

      const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
      const signalled = Date.now();
      started.kill('SIGTERM');
      expect(await exited).to.equal(0);
      expect(Date.now() - signalled).to.be.below(5000);
    });

    it('exits 2 on bad flags', async () => {
      const started = spawn(process.execPath, [BIN, '--nope'], { stdio: 'ignore' });
      child = started;
      const code = await new Promise<number | null>((resolve) => started.once('exit', (exitCode) => resolve(exitCode)));
      expect(code).to.equal(2);
    });
  });
});
