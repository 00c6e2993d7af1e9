// @integration: the renderer binary against the Consul stand-in (or CONSUL_HTTP_ADDR): --once, --dry-run, ops, SIGTERM.

import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulSettingsFromEnv, createConsulClient, waitFor, type ConsulClient } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { freePort } from './nginx-harness';
import { RENDERER_BIN, runRendererBin } from './run-bin';

const BIN = RENDERER_BIN;
const runBin = (args: string[], timeoutMs = 20_000) => runRendererBin(args, { timeoutMs, env: { ...process.env, LOG_LEVEL: 'info' } });

describe('@integration renderer CLI', function () {
  this.timeout(60_000);
  const run = randomBytes(3).toString('hex');
  const key = `renderer-${run}/greeting`;
  let standin: ConsulStandin | undefined;
  let address: string;
  let consul: ConsulClient;
  let dir: string;
  let source: string;

  before(async () => {
    if (process.env.CONSUL_HTTP_ADDR) address = process.env.CONSUL_HTTP_ADDR;
    else {
      standin = await startConsulStandin({ port: 0 });
      address = standin.address;
    }
    consul = createConsulClient(consulSettingsFromEnv(process.env, address));
    await consul.kv.set(key, 'hello from consul');
  });
  after(async () => {
    await consul.kv.del(key).catch(() => undefined);
    await standin?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-cli-'));
    source = join(dir, 'greeting.njk');
    writeFileSync(source, `greeting = {{ key("${key}") }}\n`);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('-once renders, runs the command, and exits 0', async () => {
    const dest = join(dir, 'out.conf');
    const marker = join(dir, 'reloaded');
    const result = await runBin(['-once', '-consul-addr', address, '-template', `${source}:${dest}:touch ${marker}`]);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    expect(readFileSync(dest, 'utf8')).to.equal('greeting = hello from consul\n');
    expect(existsSync(marker)).to.equal(true);
  });

  it('-once exits non-zero when Consul cannot be reached, and writes nothing', async () => {
    const dest = join(dir, 'out.conf');
    const port = await freePort();
    const result = await runBin(['-once', '-once-timeout', '1s', '-consul-addr', `127.0.0.1:${port}`, '-template', `${source}:${dest}`]);
    expect(result.code).to.equal(1);
    expect(existsSync(dest)).to.equal(false);
    expect(result.stdout).to.contain('template not rendered');
  });

  it('-once exits non-zero when validation fails, and the old file stays', async () => {
    const dest = join(dir, 'out.conf');
    writeFileSync(dest, 'old\n');
    const config = join(dir, 'renderer.json');
    writeFileSync(config, JSON.stringify({ templates: [{ source, destination: dest, validateCommand: 'grep -q nope {{candidate}}' }] }));
    const result = await runBin(['-config', config, '-once', '-consul-addr', address]);
    expect(result.code).to.equal(1);
    expect(readFileSync(dest, 'utf8')).to.equal('old\n');
  });

  it('-dry prints what it would write and writes nothing', async () => {
    const dest = join(dir, 'out.conf');
    const result = await runBin(['-dry', '-once', '-consul-addr', address, '-template', `${source}:${dest}:exit 1`]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain(`# renderer dry-run: would write ${dest} (new-file)`);
    expect(result.stdout).to.contain('greeting = hello from consul');
    expect(existsSync(dest)).to.equal(false);
  });

  it('a bad flag value exits 2 naming the flag and pointing at -help (core\'s convention)', async () => {
    const result = await runBin(['-wait', 'soon']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^renderer: wait.*invalid duration.*\nrun `renderer -help` for the flags\n$/s);
  });

  it('serves /health and /metrics, follows changes, and stops on SIGTERM within 5 s', async () => {
    const dest = join(dir, 'out.conf');
    const opsPort = await freePort();
    const child: ChildProcess = spawn(process.execPath, [BIN, '-consul-addr', address, '-ops-port', String(opsPort), '-template', `${source}:${dest}`], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => existsSync(dest), { timeoutMs: 10_000, message: 'first render' });
      const health = await waitFor(async () => (await fetch(`http://127.0.0.1:${opsPort}/health`)).json() as Promise<{ ok: boolean; consul: string }>, { timeoutMs: 5000, message: '/health' });
      expect(health).to.include({ ok: true, consul: 'reachable' });
      await consul.kv.set(key, 'changed');
      await waitFor(() => readFileSync(dest, 'utf8') === 'greeting = changed\n', { timeoutMs: 10_000, message: 'the change rendered' });
      // The file goes live a moment before the batch is counted: wait for the count, not for luck.
      const metrics = await waitFor(async () => {
        const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
        return /renderer_renders_total\{template="[^"]+",result="written"\} 2/.test(text) ? text : undefined;
      }, { timeoutMs: 5000, message: 'two written renders in /metrics' });
      expect(metrics).to.match(/^process_resident_memory_bytes \d+/m);
      // promtool-clean, with the shared names: last success and the (cleared) problem series per template.
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect(`${lint.stdout}${lint.stderr}`.trim(), 'promtool check metrics').to.equal('');
      expect(metrics).to.match(/^consul_sidecars_last_success_timestamp_seconds\{template="[^"]+"\} \d/m);
      expect(metrics).to.match(/^renderer_template_problem\{template="[^"]+",reason="validation-failed"\} 0$/m);
      expect(metrics).to.match(/^consul_sidecars_consul_reachable 1$/m);
    } finally {
      const stopAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      expect(Date.now() - stopAt).to.be.below(5000);
      await consul.kv.set(key, 'hello from consul');
    }
  });
});
