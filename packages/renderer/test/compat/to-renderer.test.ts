import { expect } from 'chai';
import { join } from 'node:path';
import { resolveRendererConfig } from '../../src';
import { loadCtConfigPaths, parseCtConfig, planCompatConfig } from '../../src/compat';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

describe('compat: consul-template config -> the renderer\'s', function () {
  this.timeout(20_000);

  it('maps the real config: templates, Consul environment, exec and process settings', async () => {
    const plan = planCompatConfig(await loadCtConfigPaths([fixture('consul-template.hcl')]), { cwd: '/srv' });
    const [nginx, haproxy, app] = plan.rendererConfig.templates as Record<string, unknown>[];
    expect(nginx).to.deep.equal({
      source: '/etc/consul-template/nginx.conf.ctmpl',
      destination: '/etc/nginx/conf.d/sites.conf',
      engine: 'go', // consul-template reads every file as Go, whatever its extension
      guard: { minInstances: 0 }, // consul-template writes a render with no instance
      reloadCommand: 'nginx -s reload',
      commandTimeout: '60s',
      perms: 0o644,
      backup: true,
      wait: { min: '2s', max: '6s' },
      errorFatal: true, // template_error_fatal's default
    });
    expect(haproxy).to.deep.include({ reloadCommand: ['systemctl', 'reload', 'haproxy'], validateCommand: 'haproxy -c -f {{candidate}}', group: 'edge', guard: { minInstances: 1, dropHold: '2m' } });
    expect(app).to.deep.equal({
      contents: '{{ key "app/config" }}\n',
      destination: '/etc/app/app.conf',
      engine: 'go', // inline contents are Go templates in consul-template
      createDestDirs: false,
      leftDelimiter: '[[',
      rightDelimiter: ']]',
      errorOnMissingKey: true,
      guard: { minInstances: 0 },
      errorFatal: true,
    });
    expect(plan.rendererConfig).to.deep.include({ consul: { address: '127.0.0.1:8500', retryMax: '1m', maxStale: '10m' }, wait: { min: '5s', max: '10s' }, logLevel: 'warn' });
    expect(plan.consulEnv).to.deep.equal({
      CONSUL_HTTP_TOKEN: 's3cr3t',
      CONSUL_HTTP_SSL: 'true',
      CONSUL_HTTP_SSL_VERIFY: 'false',
      CONSUL_CACERT: '/etc/consul.d/ca.pem',
      CONSUL_TLS_SERVER_NAME: 'consul.service.consul',
    });
    expect(plan.exec).to.deep.equal({
      argv: ['sh', '-c', '/usr/bin/app -config /etc/app/app.conf'],
      reloadSignal: 'SIGUSR1',
      killSignal: 'SIGTERM',
      killTimeoutMs: 10_000,
      splayMs: 5000,
      // consul-template puts its Consul settings in front of custom (runner.go childEnv): they pass any denylist
      env: { pristine: false, custom: ['CONSUL_HTTP_ADDR=127.0.0.1:8500', 'CONSUL_HTTP_TOKEN=s3cr3t', 'CONSUL_HTTP_SSL=true', 'CONSUL_HTTP_SSL_VERIFY=false', 'APP_ENV=prod'], denylist: ['CONSUL_*'] },
    });
    expect(plan.process).to.deep.equal({
      pidFile: '/run/consul-template.pid',
      killSignal: 'SIGINT',
      reloadSignal: 'SIGHUP',
      maxStaleMs: 600_000,
      retry: { enabled: true, attempts: 12, backoffMs: 250, maxBackoffMs: 60_000 },
    });
    expect(plan.notes.join('\n')).to.match(/retries Consul forever/).and.not.to.match(/max_stale/);
  });

  it('every form consul-template documents reads and maps (off-valued unsupported keys accepted)', async () => {
    const config = await loadCtConfigPaths([fixture('documented-forms.hcl')]);
    const plan = planCompatConfig(config);
    expect(plan.rendererConfig).to.deep.include({ once: true, logLevel: 'warn', consul: { address: '127.0.0.1:8500', retryMax: '1m', waitSeconds: 60, maxStale: '10m' } });
    expect(plan.rendererConfig.templates).to.deep.equal([{
      source: '/etc/ct/app.ctmpl', destination: '/etc/app/app.conf', reloadCommand: ['restart', 'service', 'foo'], commandTimeout: '30s',
      perms: 0o600, backup: true, createDestDirs: true, wait: { min: '2s', max: '10s' }, engine: 'go', guard: { minInstances: 0 }, errorFatal: true,
    }]); // the default delimiters need no key
    // reload_signal = "" is SIGNULL: a change sends nothing (not a restart), as consul-template's decode hook makes it
    expect(plan.exec).to.deep.include({ argv: ['/usr/bin/app'], reloadSignal: 'SIGNULL', killSignal: 'SIGINT', killTimeoutMs: 2000, splayMs: 5000 });
    expect(plan.consulEnv).to.deep.equal({ CONSUL_HTTP_SSL: 'false' });
    expect(plan.process).to.deep.include({ pidFile: '/run/ct.pid', maxStaleMs: 600_000, reloadSignal: 'SIGHUP', killSignal: 'SIGINT' });
  });

  it('defaults are consul-template\'s: exec kill SIGINT after 30s, no reload signal (restart), no splay; renderer SIGINT/SIGHUP', async () => {
    const plan = planCompatConfig(await parseCtConfig('exec {\n  command = "app"\n}\n', 'd.hcl'));
    expect(plan.exec).to.deep.equal({ argv: ['app'], reloadSignal: null, killSignal: 'SIGINT', killTimeoutMs: 30_000, splayMs: 0, env: { custom: ['CONSUL_HTTP_SSL=false', 'CONSUL_HTTP_SSL_VERIFY=true'] } });
    expect(plan.process).to.deep.include({ killSignal: 'SIGINT', reloadSignal: 'SIGHUP', maxStaleMs: 2000 });
    expect(planCompatConfig(await parseCtConfig('exec {\n  command = "app"\n  enabled = false\n}\n', 'd.hcl')).exec).to.equal(undefined);
  });

  it('error_fatal: the template\'s own, else template_error_fatal, else true (config.Finalize)', async () => {
    const text = 'template_error_fatal = false\ntemplate {\n  contents = "a"\n  destination = "a"\n}\ntemplate {\n  contents = "b"\n  destination = "b"\n  error_fatal = true\n}\n';
    const plan = planCompatConfig(await parseCtConfig(text, 'f.hcl'), { cwd: '/w' });
    expect((plan.rendererConfig.templates as { errorFatal: boolean }[]).map((t) => t.errorFatal)).to.deep.equal([false, true]);
    const byDefault = planCompatConfig(await parseCtConfig('template {\n  contents = "a"\n  destination = "a"\n}\n', 'd.hcl'), { cwd: '/w' });
    expect(resolveRendererConfig(byDefault.rendererConfig, '/w').templates[0].errorFatal).to.equal(true);
    expect(resolveRendererConfig({ templates: [{ contents: 'a', destination: '/w/a' }] }).templates[0].errorFatal, 'the renderer\'s own default').to.equal(false);
  });

  it('TLS turns on when any TLS setting is given (SSLConfig.Finalize); a template exec {} wins over command', async () => {
    const plan = planCompatConfig(await parseCtConfig('consul {\n  ssl {\n    cert = "/c.pem"\n    key = "/k.pem"\n  }\n}\ntemplate {\n  source = "a.tmpl"\n  destination = "a"\n  command = "old"\n  exec {\n    command = ["new", "x"]\n    timeout = "5s"\n  }\n}\n', 't.hcl'), { cwd: '/w' });
    expect(plan.consulEnv).to.deep.equal({ CONSUL_HTTP_SSL: 'true', CONSUL_HTTP_SSL_VERIFY: 'true', CONSUL_CLIENT_CERT: '/c.pem', CONSUL_CLIENT_KEY: '/k.pem' });
    expect(plan.rendererConfig.templates).to.deep.equal([{ source: '/w/a.tmpl', destination: '/w/a', reloadCommand: ['new', 'x'], commandTimeout: '5s', engine: 'go', guard: { minInstances: 0 }, errorFatal: true }]);
  });

  it('the result passes the renderer\'s own validation (resolveRendererConfig) and means the same', async () => {
    const text = 'consul {\n  address = "127.0.0.1:8500"\n  retry {\n    max_backoff = "20s"\n  }\n}\nwait = "1s:3s"\nlog_level = "err"\ntemplate {\n  source = "site.ctmpl"\n  destination = "site.conf"\n  command = "nginx -s reload"\n  perms = 0640\n  backup = true\n  validate_command = ["nginx", "-t", "-q"]\n  guard {\n    min_instances = 0\n    reject_empty_upstreams = true\n  }\n  vars = { listen = 8080 }\n}\nonce_timeout = "5s"\n';
    const plan = planCompatConfig(await parseCtConfig(text, 'r.hcl'), { cwd: '/etc/ct' });
    const config = resolveRendererConfig(plan.rendererConfig, '/elsewhere', 'r.hcl');
    expect(config.consul).to.deep.include({ address: '127.0.0.1:8500', retryMaxMs: 20_000 });
    expect(config.wait).to.deep.equal({ minMs: 1000, maxMs: 3000 });
    expect(config.logLevel).to.equal('error');
    expect(config.onceTimeoutMs).to.equal(5000);
    const [t] = config.templates;
    expect(t).to.deep.include({ source: '/etc/ct/site.ctmpl', destination: '/etc/ct/site.conf', reloadCommand: 'nginx -s reload', perms: 0o640, backup: true, validateCommand: ['nginx', '-t', '-q'] });
    expect(t.guard).to.deep.include({ minInstances: 0, rejectEmptyUpstreams: true });
    expect(t.vars).to.deep.equal({ listen: 8080 });
  });

  it('engine: Go for every template (consul-template reads every file as Go), an explicit engine kept', async () => {
    const plan = planCompatConfig(await parseCtConfig(['a.ctmpl', 'b.tpl', 'c.tmpl', 'd.njk', 'e.conf.template'].map((s, i) => `template {\n  source = "${s}"\n  destination = "/o${i}"\n}\n`).join('') + 'template {\n  contents = "x"\n  destination = "/o5"\n}\ntemplate {\n  source = "f.txt"\n  destination = "/o6"\n  engine = "nunjucks"\n}\n', 'e.hcl'), { cwd: '/' });
    expect((plan.rendererConfig.templates as { engine?: string }[]).map((t) => t.engine)).to.deep.equal(['go', 'go', 'go', 'go', 'go', 'go', 'nunjucks']);
  });

  it('the renderer\'s validation still refuses what it cannot take (a template with no destination)', async () => {
    const plan = planCompatConfig(await parseCtConfig('template {\n  source = "a.ctmpl"\n}\n', 'n.hcl'));
    expect(() => resolveRendererConfig(plan.rendererConfig, '/', 'n.hcl')).to.throw(/destination/);
  });
});
