import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRendererConfig, parsePerms, parseTemplateFlag, parseWait, resolveRendererConfig } from '../src/config';

describe('renderer config', () => {
  describe('parseWait', () => {
    const cases: [string, string, { minMs: number; maxMs: number } | RegExp][] = [
      ['min and max', '2s:10s', { minMs: 2000, maxMs: 10_000 }],
      ['only min: max is 4 x min', '5s', { minMs: 5000, maxMs: 20_000 }],
      ['milliseconds', '250ms:1s', { minMs: 250, maxMs: 1000 }],
      ['zero', '0:0', { minMs: 0, maxMs: 0 }],
      ['max below min', '10s:2s', /less than min/],
      ['garbage', 'soon', /invalid duration/],
      ['three parts', '1s:2s:3s', /invalid wait/],
    ];
    for (const [name, input, want] of cases) {
      it(name, () => {
        if (want instanceof RegExp) expect(() => parseWait(input)).to.throw(want);
        else expect(parseWait(input)).to.deep.equal(want);
      });
    }
    it('object form', () => expect(parseWait({ min: '1s', max: '3s' })).to.deep.equal({ minMs: 1000, maxMs: 3000 }));
  });

  describe('parsePerms', () => {
    const cases: [string | number, number | null][] = [['0644', 0o644], ['600', 0o600], ['0755', 0o755], [0o640, 0o640], ['rw-r--r--', null], ['0999', null]];
    for (const [input, want] of cases) {
      it(`${String(input)} -> ${want === null ? 'error' : want.toString(8)}`, () => {
        if (want === null) expect(() => parsePerms(input)).to.throw(/invalid file mode/);
        else expect(parsePerms(input)).to.equal(want);
      });
    }
  });

  describe('parseTemplateFlag', () => {
    const cases: [string, Record<string, unknown> | RegExp][] = [
      ['in.njk:out.conf', { source: 'in.njk', destination: 'out.conf' }],
      ['in.njk:out.conf:nginx -s reload', { source: 'in.njk', destination: 'out.conf', reloadCommand: 'nginx -s reload' }],
      ['a:b:sh -c "echo x:y"', { source: 'a', destination: 'b', reloadCommand: 'sh -c "echo x:y"' }],
      ['only-source', /source:destination/],
      ['in.njk:', /missing destination/],
    ];
    for (const [input, want] of cases) {
      it(input, () => {
        if (want instanceof RegExp) expect(() => parseTemplateFlag(input)).to.throw(want);
        else expect(parseTemplateFlag(input)).to.deep.equal(want);
      });
    }
  });

  describe('resolveRendererConfig', () => {
    it('fills defaults and resolves paths against the base dir', () => {
      const config = resolveRendererConfig({ templates: [{ source: 't.njk', destination: 'out/sites.conf', validateCommand: ['nginx', '-t'], perms: '0600', guard: { maxDropFraction: 0.5, dropHold: '30s' } }] }, '/etc/renderer');
      const [t] = config.templates;
      expect(t.source).to.equal('/etc/renderer/t.njk');
      expect(t.destination).to.equal('/etc/renderer/out/sites.conf');
      expect(t.perms).to.equal(0o600);
      expect(t.commandTimeoutMs).to.equal(30_000);
      expect(t.group).to.equal('template:/etc/renderer/out/sites.conf');
      expect(t.guard).to.deep.equal({ minInstances: 1, maxDropFraction: 0.5, dropHoldMs: 30_000, rejectEmptyUpstreams: true });
      expect(config.wait).to.deep.equal({ minMs: 0, maxMs: 0 });
      expect(config.ops).to.deep.equal({ host: '127.0.0.1', port: 9465, enabled: true });
    });
    it('names the field and value of a bad entry', () => {
      expect(() => resolveRendererConfig({ templates: [{ source: 'a', destination: 'b', guard: { maxDropFraction: 2 } }] })).to.throw(/templates\.0\.guard\.maxDropFraction.*2/);
      expect(() => resolveRendererConfig({ templates: [{ source: 'a', destination: 'b', bogus: 1 }] })).to.throw(/templates\.0\.bogus is not a known setting/);
      expect(() => resolveRendererConfig({ templates: [{ destination: 'b' }] })).to.throw(/needs "source" or "contents"/);
      expect(() => resolveRendererConfig({ templates: [{ source: 'a', destination: '/x' }, { source: 'b', destination: '/x' }] })).to.throw(/written by two templates/);
    });
    it('upstreamPush (no-reload mode): defaults, and a URL that is not http:// is refused', () => {
      const [t] = resolveRendererConfig({ templates: [{ source: 'a', destination: '/x', upstreamPush: { url: 'http://127.0.0.1:9480/consul-sidecars' } }] }).templates;
      expect(t.upstreamPush).to.deep.equal({ url: 'http://127.0.0.1:9480/consul-sidecars', intervalMs: 250, timeoutMs: 2000, checkLua: true, nginx: 'nginx', luaModules: undefined });
      expect(resolveRendererConfig({ templates: [{ source: 'a', destination: '/x' }] }).templates[0].upstreamPush).to.equal(undefined);
      expect(() => resolveRendererConfig({ templates: [{ source: 'a', destination: '/x', upstreamPush: { url: 'ftp://x' } }] })).to.throw(/templates\.0\.upstreamPush\.url/);
      expect(() => resolveRendererConfig({ templates: [{ source: 'a', destination: '/x', upstreamPush: { url: 'http://x', interval: '1ms' } }] })).to.throw(/interval: at least 10ms/);
      expect(() => resolveRendererConfig({ templates: [{ source: 'a', destination: '/x', upstreamPush: {} }] })).to.throw(/url/);
    });
  });

  describe('loadRendererConfig (flags over file)', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'renderer-config-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('adds -template entries after the file templates; flags win over the file', () => {
      const file = join(dir, 'renderer.json');
      writeFileSync(file, JSON.stringify({ wait: '1s:2s', consul: { address: '10.0.0.1:8500' }, templates: [{ source: 'a.njk', destination: 'a.conf', group: 'nginx' }] }));
      const { config } = loadRendererConfig(['-config', file, '-template', '/t/b.njk:/out/b.conf:nginx -s reload', '-wait', '3s', '--consul-addr=127.0.0.1:1', '-once', '--dry-run']);
      expect(config.templates.map((t) => t.destination)).to.deep.equal([join(dir, 'a.conf'), '/out/b.conf']);
      expect(config.templates[1].reloadCommand).to.equal('nginx -s reload');
      expect(config.wait).to.deep.equal({ minMs: 3000, maxMs: 12_000 });
      expect(config.consul.address).to.equal('127.0.0.1:1');
      expect(config.once).to.equal(true);
      expect(config.dryRun).to.equal(true);
    });
    it('rejects unknown flags and stray words', () => {
      expect(() => loadRendererConfig(['-bogus'])).to.throw(/unknown flag -bogus/);
      expect(() => loadRendererConfig(['stray'])).to.throw(/unexpected argument/);
    });
  });
});
