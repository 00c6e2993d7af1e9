// #17's max_stale through the renderer: consul.maxStale (and consul-template's max_stale / -max-stale, mapped
// onto it) makes every read ?stale, asked again of the leader when the follower's X-Consul-LastContact is past it.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, consulSettingsFromEnv, silentLogger, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { resolveRendererConfig } from '../src/config';
import { planCompatConfig } from '../src/compat/to-renderer';
import { Runner } from '../src/runner';

describe('renderer: consul.maxStale (consul-template max_stale)', function () {
  this.timeout(30_000);
  let standin: ConsulStandin | undefined;
  let runner: Runner | undefined;
  let consul: ConsulHttpClient | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rendobs-stale-'));
  });
  afterEach(async () => {
    await runner?.stop();
    consul?.close();
    await standin?.stop();
    runner = undefined;
    standin = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read from the config (default off) and mapped from consul-template\'s max_stale (default 2s, as consul-template)', () => {
    expect(resolveRendererConfig({}, dir).consul.maxStaleMs).to.equal(0);
    expect(resolveRendererConfig({ consul: { maxStale: '3s' } }, dir).consul.maxStaleMs).to.equal(3000);
    expect(() => resolveRendererConfig({ consul: { maxStale: 'soon' } }, dir)).to.throw(/consul\.maxStale/);
    const mapped = (config: Record<string, unknown>) => resolveRendererConfig(planCompatConfig(config as never, { cwd: dir }).rendererConfig, dir).consul.maxStaleMs;
    expect(mapped({})).to.equal(2000);
    expect(mapped({ max_stale: { ms: 10_000, text: '10s' } })).to.equal(10_000);
  });

  it('renders from stale reads, and from the leader once the follower lags past max_stale', async () => {
    standin = await startConsulStandin();
    const s = standin;
    await fetch(`${s.url}/v1/kv/app/color`, { method: 'PUT', body: 'blue' });
    await fetch(`${s.url}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify({ Node: 'n1', Address: '10.0.0.1', Service: { ID: 'web-1', Service: 'web', Port: 80 } }) });
    s.setFollower({ lastContactMs: 5 });
    const dest = join(dir, 'out.conf');
    consul = new ConsulHttpClient(consulSettingsFromEnv({}, s.address));
    const sent: string[] = [];
    const original = consul.transport.request.bind(consul.transport);
    consul.transport.request = (method, path, options = {}) => {
      sent.push(`${path}${options.query && 'stale' in options.query ? '?stale' : ''}`);
      return original(method, path, options);
    };
    runner = new Runner({
      config: resolveRendererConfig({ consul: { address: s.address, maxStale: '1s' }, wait: { min: '0s' }, templates: [{ contents: '{{ key("app/color") }}{% for i in service("web") %} {{ i.Port }}{% endfor %}\n', destination: dest }] }, dir),
      consul,
      logger: silentLogger(),
    });
    runner.start();
    const text = (): string => {
      try {
        return readFileSync(dest, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor(() => text().trim() === 'blue 80', { timeoutMs: 10_000, message: 'the first render' });
    expect(sent.filter((p) => p.startsWith('/kv/app/color')).every((p) => p.endsWith('?stale'))).to.equal(true);
    expect(sent.filter((p) => p.startsWith('/health/service/web')).every((p) => p.endsWith('?stale'))).to.equal(true);

    s.setFollower({ lastContactMs: 60_000 });
    sent.length = 0;
    await fetch(`${s.url}/v1/kv/app/color`, { method: 'PUT', body: 'green' });
    await waitFor(() => text().trim() === 'green 80', { timeoutMs: 10_000, message: 'the change' });
    expect(sent).to.include('/kv/app/color?stale');
    expect(sent).to.include('/kv/app/color');
  });
});
