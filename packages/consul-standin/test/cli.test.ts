// The consul-standin command: prints its address, answers, and exits 0 on SIGTERM within 5 s.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, eventually } from './support';
import { parseArgs } from '../src/cli';

const bin = path.join(__dirname, '..', 'bin', 'consul-standin.js');
const built = path.join(__dirname, '..', 'dist', 'cli.js');

describe('consul-standin command line', function () {
  it('parses its flags', () => {
    expect(parseArgs(['--port', '18500', '--node', 'n1', '--host=0.0.0.0', '--token', 't', '--datacenter', 'dc2'])).to.deep.include({
      port: 18500,
      node: 'n1',
      host: '0.0.0.0',
      managementToken: 't',
      datacenter: 'dc2',
    });
    expect(() => parseArgs(['--bogus'])).to.throw(/unknown flag --bogus/);
    expect(() => parseArgs(['--port'])).to.throw(/missing value/);
  });

  it('starts, prints its address, answers, and stops cleanly on SIGTERM', async function () {
    if (!existsSync(built)) {
      this.test!.title += ' (skipped: run `tsc -b packages/consul-standin` first)';
      this.skip();
    }
    const child = spawn(process.execPath, [bin, '--port', '0', '--node', 'cli-node'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await eventually('the address line', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 10_000);
      const client = new Client(url);
      const self = await client.get('/v1/agent/self');
      expect(self.json().Config.NodeName).to.equal('cli-node');
      const hanging = client.get('/v1/kv/held?index=999999&wait=60s').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      expect(Date.now() - stoppedAt).to.be.lessThan(5000);
      await hanging;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
