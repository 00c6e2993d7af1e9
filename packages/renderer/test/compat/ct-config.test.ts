import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCtConfigPaths, parseCtConfig, CtConfigError, type CtConfig } from '../../src/compat';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

async function parseError(text: string, file = 'c.hcl'): Promise<CtConfigError> {
  try {
    await parseCtConfig(text, file);
  } catch (err) {
    expect(err).to.be.instanceOf(CtConfigError);
    return err as CtConfigError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('compat: consul-template config files', function () {
  this.timeout(20_000); // the first HCL parse loads HashiCorp's parser (Go compiled to WASM), ~1-2 s

  it('reads a real consul-template HCL config: every block and value, typed', async () => {
    const [config] = await loadCtConfigPaths([fixture('consul-template.hcl')]).then((c) => [c]);
    expect(config.consul).to.deep.include({ address: '127.0.0.1:8500', token: 's3cr3t' });
    expect(config.consul?.ssl).to.deep.equal({ enabled: true, verify: false, ca_cert: '/etc/consul.d/ca.pem', server_name: 'consul.service.consul' });
    expect(config.consul?.retry?.max_backoff).to.deep.equal({ text: '1m', ms: 60_000 });
    expect(config.wait).to.deep.equal({ min: { text: '5s', ms: 5000 }, max: { text: '10s', ms: 10_000 } });
    expect([config.log_level, config.max_stale?.ms, config.kill_signal, config.reload_signal, config.pid_file]).to.deep.equal(['warn', 600_000, 'SIGINT', 'SIGHUP', '/run/consul-template.pid']);
    const [nginx, haproxy, app] = config.template!;
    expect(nginx).to.deep.include({ source: '/etc/consul-template/nginx.conf.ctmpl', command: 'nginx -s reload', perms: 0o644, backup: true });
    expect(nginx.wait).to.deep.equal({ min: { text: '2s', ms: 2000 }, max: { text: '6s', ms: 6000 } });
    expect(nginx.origin).to.match(/consul-template\.hcl:32$/);
    expect(haproxy).to.deep.include({ command: ['systemctl', 'reload', 'haproxy'], validate_command: 'haproxy -c -f {{candidate}}', batch_group: 'edge' });
    expect(haproxy.guard).to.deep.equal({ min_instances: 1, drop_hold: { text: '2m', ms: 120_000 } });
    expect(app).to.deep.include({ contents: '{{ key "app/config" }}\n', left_delimiter: '[[', right_delimiter: ']]', error_on_missing_key: true, create_dest_dirs: false });
    expect(config.exec).to.deep.include({ command: '/usr/bin/app -config /etc/app/app.conf', reload_signal: 'SIGUSR1', kill_signal: 'SIGTERM' });
    expect(config.exec?.env).to.deep.equal({ pristine: false, custom: ['APP_ENV=prod'], denylist: ['CONSUL_*'] });
  });

  it('reads JSON (a file starting with "{" is JSON, as consul-template\'s HCL decoder decides)', async () => {
    const config = await loadCtConfigPaths([fixture('consul-template.json')]);
    expect(config.template![0]).to.deep.include({ source: 'in.ctmpl', perms: 0o600, command: 'true' });
    expect(config.wait?.max?.ms).to.equal(4000);
  });

  describe('file modes', () => {
    const cases: [string, number][] = [
      ['perms = 0644', 0o644], // HCL 1 reads a leading-zero literal as octal
      ['perms = "0640"', 0o640], // StringToFileModeFunc: octal
      ['perms = "600"', 0o600],
      ['perms = 420', 420], // any other number as given
    ];
    for (const [line, want] of cases) {
      it(`${line} -> 0${want.toString(8)}`, async () => {
        const config = await parseCtConfig(`template {\n  destination = "/x"\n  ${line}\n}\n`, 'p.hcl');
        expect(config.template![0].perms).to.equal(want);
      });
    }
  });

  describe('refuses, naming the file, line, key and value', () => {
    const cases: [string, string, RegExp][] = [
      ['unknown key', 'consul {\n  address = "x"\n  adress = "y"\n}\n', /^c\.hcl:3: consul\.adress: unknown key "adress"$/],
      ['unknown top-level key', 'wait = "1s"\nonce_upon = true\n', /^c\.hcl:2: once_upon: unknown key "once_upon"$/],
      ['unknown key in the second template', 'template {\n  destination = "/a"\n}\ntemplate {\n  destinaton = "/b"\n}\n', /^c\.hcl:5: template\[1\]\.destinaton: unknown key "destinaton"$/],
      ['a bool written as a string', 'template {\n  backup = "true"\n}\n', /^c\.hcl:2: template\[0\]\.backup: want true or false, got string "true"$/],
      ['a string written as a number', 'consul {\n  address = 8500\n}\n', /^c\.hcl:2: consul\.address: want a string, got number 8500$/],
      ['a duration without a unit', 'max_stale = "10"\n', /^c\.hcl:1: max_stale: invalid duration "10"/],
      ['a duration as a number', 'max_stale = 10\n', /^c\.hcl:1: max_stale: want a duration string such as "10s", got number 10$/],
      ['a signal without SIG', 'kill_signal = "HUP"\n', /^c\.hcl:1: kill_signal: invalid signal "HUP"/],
      ['wait max below min', 'wait {\n  min = "10s"\n  max = "5s"\n}\n', /^c\.hcl:1: wait: max \(5s\) is less than min \(10s\)$/],
      ['a bad mode', 'template {\n  perms = "rw-r--r--"\n}\n', /^c\.hcl:2: template\[0\]\.perms: invalid file mode "rw-r--r--"/],
      ['a command that is a number', 'exec {\n  command = 5\n}\n', /^c\.hcl:2: exec\.command: want a command string or a list of strings, got number 5$/],
      ['vault, known but unsupported', 'vault {\n  address = "x"\n}\n', /^c\.hcl:1: vault: consul-template's "vault" is not supported: Vault/],
      ['file ownership, known but unsupported', 'template {\n  user = "www-data"\n}\n', /^c\.hcl:2: template\[0\]\.user: consul-template's "user" is not supported: file ownership/],
      ['a syntax error', 'consul {\n  address = \n', /^c\.hcl:2,\d+-\d+,\d+: Invalid expression/],
    ];
    for (const [name, text, want] of cases) {
      it(name, async () => {
        const err = await parseError(text);
        expect(err.message).to.match(want);
        expect(err.exitCode).to.equal(15); // ExitCodeConfigError
      });
    }
    it('JSON: unknown key with its line', async () => {
      const err = await parseError('{\n  "template": [\n    { "destination": "/a" },\n    { "destination": "/b", "sourc": "x" }\n  ]\n}\n', 'c.json');
      expect(err.message).to.equal('c.json:4: template[1].sourc: unknown key "sourc"');
    });
    it('JSON: a syntax error names the file', async () => {
      expect((await parseError('{ "wait": }', 'c.json')).message).to.match(/^c\.json: not valid JSON/);
    });
  });

  it('a known-unsupported key set to its off value is accepted (sandbox_path = "", an empty block, enabled = false)', async () => {
    const config = await parseCtConfig('template {\n  destination = "/a"\n  sandbox_path = ""\n}\nvault {\n  enabled = false\n}\nsyslog {\n}\nerr_on_failed_lookup = false\n', 'off.hcl');
    expect(config).to.deep.equal({ template: [{ destination: '/a', origin: 'off.hcl:1' }] });
  });

  it('vars as an object or as a block', async () => {
    const a = await parseCtConfig('template {\n  destination = "/a"\n  vars = { listen = 8080 }\n}\n', 'v.hcl');
    const b = await parseCtConfig('template {\n  destination = "/a"\n  vars {\n    listen = 8080\n    sites = ["x"]\n  }\n}\n', 'v.hcl');
    expect(a.template![0].vars).to.deep.equal({ listen: 8080 });
    expect(b.template![0].vars).to.deep.equal({ listen: 8080, sites: ['x'] });
  });

  it('a repeated non-template block keeps the last occurrence (consul-template\'s flattenKeys); a string consul is its address', async () => {
    const config = await parseCtConfig('consul {\n  address = "a:1"\n  token = "t"\n}\nconsul {\n  address = "b:2"\n}\n', 'c.hcl');
    expect(config.consul).to.deep.equal({ address: 'b:2' });
    expect((await parseCtConfig('consul = "c:3"\n', 'c.hcl')).consul).to.deep.equal({ address: 'c:3' });
  });

  describe('several files and directories', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'compat-config-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('merge in order: later files win field by field, templates and exec env lists are appended', async () => {
      writeFileSync(join(dir, 'a.hcl'), 'consul {\n  address = "a:1"\n  token = "ta"\n}\nlog_level = "info"\ntemplate {\n  destination = "/a"\n}\nexec {\n  command = "x"\n  env {\n    custom = ["A=1"]\n  }\n}\n');
      writeFileSync(join(dir, 'b.json'), '{ "consul": { "address": "b:2" }, "template": { "destination": "/b" }, "exec": { "env": { "custom": ["B=2"] } } }');
      const config: CtConfig = await loadCtConfigPaths([join(dir, 'a.hcl'), join(dir, 'b.json')]);
      expect(config.consul).to.deep.equal({ address: 'b:2', token: 'ta' });
      expect(config.log_level).to.equal('info');
      expect(config.template!.map((t) => t.destination)).to.deep.equal(['/a', '/b']);
      expect(config.exec).to.deep.include({ command: 'x' });
      expect(config.exec?.env?.custom).to.deep.equal(['A=1', 'B=2']);
    });

    it('a directory: every file below it, recursively, in lexical order (filepath.Walk)', async () => {
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'b', 'x.hcl'), 'log_level = "debug"\ntemplate {\n  destination = "/2"\n}\n');
      writeFileSync(join(dir, 'a.hcl'), 'log_level = "info"\ntemplate {\n  destination = "/1"\n}\n');
      writeFileSync(join(dir, 'c.hcl'), 'template {\n  destination = "/3"\n}\n');
      const config = await loadCtConfigPaths([dir]);
      expect(config.template!.map((t) => t.destination)).to.deep.equal(['/1', '/2', '/3']);
      expect(config.log_level).to.equal('debug');
    });

    it('an error in the second file names that file', async () => {
      writeFileSync(join(dir, 'a.hcl'), 'log_level = "info"\n');
      writeFileSync(join(dir, 'b.hcl'), 'log_level = "info"\nbogus = 1\n');
      try {
        await loadCtConfigPaths([dir]);
        expect.fail('should refuse');
      } catch (err) {
        expect((err as Error).message).to.equal(`${join(dir, 'b.hcl')}:2: bogus: unknown key "bogus"`);
      }
    });

    it('a missing path is refused', async () => {
      try {
        await loadCtConfigPaths([join(dir, 'nope.hcl')]);
        expect.fail('should refuse');
      } catch (err) {
        expect((err as Error).message).to.match(/missing file\/folder: .*nope\.hcl/);
      }
    });
  });
});
