// @integration: issue #17's acceptance case. A consul-template HCL config (nginx via consul-template's nginx example,
// haproxy via a .ctmpl, a KV-driven app config) with `-exec`, run by the `renderer` bin against the Consul stand-in,
// through a real nginx and a real haproxy (master-worker, reloaded with SIGUSR2): validated, swapped, reloaded; the
// exec child started after the first render, signalled on each change, sent the signals the renderer gets; a broken
// edit never goes live.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { freePort, httpGet, startNginx, type NginxInstance } from './nginx-harness';
import { standinPut } from './standin-put';

const BIN = join(__dirname, '..', 'bin', 'renderer.js');
const NGINX_EXAMPLE = join(__dirname, 'gotemplate', 'fixtures', 'nginx.ctmpl');
const SIGNAL_LOGGER = join(__dirname, 'compat', 'fixtures', 'signal-logger.js');
const HAPROXY = '/usr/sbin/haproxy';

/** A consul-template haproxy template (Go): a backend per service, routed by Host `<service>.test`. */
function haproxyTemplate(port: number): string {
  return `global
    maxconn 256

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend http-in
    bind 127.0.0.1:${port}
{{- range services }}{{ if ne .Name "consul" }}
    use_backend be_{{ .Name }} if { hdr(host) -i {{ .Name }}.test }{{ end }}{{ end }}
    default_backend be_none

backend be_none
    http-request return status 503
{{- range services }}{{ if ne .Name "consul" }}

backend be_{{ .Name }}
    balance roundrobin{{ range service .Name }}
    server {{ .Node }}_{{ .Port }} {{ .Address }}:{{ .Port }}{{ end }}{{ end }}{{ end }}
`;
}

/** What haproxy runs before the first render: a valid config that answers 503 to everything. */
function haproxyBootConfig(port: number): string {
  return `defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\nfrontend http-in\n    bind 127.0.0.1:${port}\n    http-request return status 503\n`;
}

const hclString = (s: string) => JSON.stringify(s);
const hclList = (argv: readonly string[]) => `[${argv.map(hclString).join(', ')}]`;

function startBackend(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.end(`${name}\n`));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  })));
}

describe('@integration renderer as consul-template: HCL config, three templates, -exec, real nginx and haproxy', function () {
  this.timeout(90_000);
  let consul: ConsulStandin;
  let nginx: NginxInstance;
  let haproxy: ChildProcess | undefined;
  let renderer: ChildProcess | undefined;
  let rendererExit: Promise<number | null>;
  let output = '';
  let dir: string;
  const backends: { port: number; close: () => Promise<void> }[] = [];

  after(async () => {
    if (renderer && renderer.exitCode === null) {
      renderer.kill('SIGKILL');
      await rendererExit;
    }
    haproxy?.kill('SIGKILL');
    await nginx?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await consul?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders, validates, swaps and reloads nginx and haproxy, supervises the exec child, and refuses a broken edit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-ct-dropin-'));
    consul = await startConsulStandin();
    nginx = await startNginx({ label: 'ct-dropin' });
    for (const name of ['web-1', 'web-2', 'web-3']) backends.push(await startBackend(name));
    for (const [i, node] of ['n1', 'n2'].entries()) {
      await standinPut(consul.url, '/v1/catalog/register', { Node: node, Address: '127.0.0.1', Service: { ID: `web-${node}`, Service: 'web', Port: backends[i].port } });
    }
    // Registered, with no passing instance: the nginx example's `{{else}}` branch (a 502 upstream), as consul-template writes it.
    await standinPut(consul.url, '/v1/catalog/register', { Node: 'n3', Address: '127.0.0.1', Service: { ID: 'api-n3', Service: 'api', Port: 9 }, Check: { CheckID: 'api', Name: 'api', Status: 'critical', ServiceID: 'api-n3' } });
    await standinPut(consul.url, '/v1/kv/app/color', 'blue');

    // consul-template's nginx example, with one edit for the test machine: `listen 80 default_server` would bind
    // every address on port 80; here it listens on a free loopback port.
    const nginxSitePort = await freePort();
    const exampleText = readFileSync(NGINX_EXAMPLE, 'utf8');
    expect(exampleText).to.include('listen 80 default_server;');
    const nginxTemplate = exampleText.replace('listen 80 default_server;', `listen 127.0.0.1:${nginxSitePort};`).replace('root /usr/share/nginx/html/;', `root ${dir}/;`);
    writeFileSync(join(dir, 'nginx.conf.ctmpl'), nginxTemplate);

    const haproxyPort = await freePort();
    const haproxyCfg = join(dir, 'haproxy.cfg');
    writeFileSync(join(dir, 'haproxy.cfg.ctmpl'), haproxyTemplate(haproxyPort));
    writeFileSync(haproxyCfg, haproxyBootConfig(haproxyPort));
    haproxy = spawn(HAPROXY, ['-W', '-db', '-f', haproxyCfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let haproxyErr = '';
    haproxy.stderr?.on('data', (c: Buffer) => (haproxyErr += c.toString()));
    const viaHaproxy = (host: string) => httpGet(haproxyPort, host).catch(() => ({ status: 0, body: '' }));
    await waitFor(async () => (await viaHaproxy('web.test')).status === 503, { timeoutMs: 10_000, message: `haproxy booted: ${haproxyErr}` });

    const appConf = join(dir, 'app.conf');
    const pidFile = join(dir, 'renderer.pid');
    const childLog = join(dir, 'child.log');
    const seenAtStart = join(dir, 'seen-at-start');
    const config = join(dir, 'consul-template.hcl');
    // The config as an operator writes it for consul-template, plus the renderer's own validate_command keys.
    writeFileSync(config, `consul {
  address = "127.0.0.1:${consul.port}"
  token   = "not-checked-by-the-stand-in"
}

log_level = "info"
kill_signal = "SIGINT"
reload_signal = "SIGHUP"

template {
  source           = "${dir}/nginx.conf.ctmpl"
  destination      = ${hclString(nginx.sitesPath)}
  command          = ${hclList(nginx.reloadCommand)}
  validate_command = ${hclList(nginx.validateCommand)}
}

template {
  source           = "${dir}/haproxy.cfg.ctmpl"
  destination      = "${haproxyCfg}"
  command          = "kill -USR2 ${haproxy.pid}"
  validate_command = "${HAPROXY} -c -q -f {{candidate}}"
}

template {
  contents    = <<EOT
color = {{ key "app/color" }}
workers = {{ keyOrDefault "app/workers" "2" }}
EOT
  destination = "${appConf}"
  perms       = 0600
}
`);

    const exec = `cat ${appConf} > ${seenAtStart}; exec ${process.execPath} ${SIGNAL_LOGGER} ${childLog}`;
    renderer = spawn(process.execPath, [BIN, '-config', config, '-exec', exec, '-exec-reload-signal', 'SIGUSR1', '-exec-kill-signal', 'SIGTERM', '-pid-file', pidFile, '-ops-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    renderer.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    renderer.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    rendererExit = new Promise((resolve) => renderer!.once('exit', (code) => resolve(code)));
    const childLines = () => (existsSync(childLog) ? readFileSync(childLog, 'utf8').trim().split('\n') : []);
    const usr1s = () => childLines().filter((l) => l.startsWith('SIGUSR1')).length;

    // First render: every file live, both proxies reloaded and routing, then the child started.
    await waitFor(() => childLines().some((l) => l.startsWith('start')), { timeoutMs: 20_000, message: `exec child started: ${output}` });
    expect(readFileSync(seenAtStart, 'utf8'), 'the child started after the first render').to.equal('color = blue\nworkers = 2\n');
    expect(readFileSync(pidFile, 'utf8')).to.equal(String(renderer.pid));
    const sites = readFileSync(nginx.sitesPath, 'utf8');
    expect(sites).to.include('upstream api {\n  zone upstream-api 64k;\n  server 127.0.0.1:65535; # force a 502\n}');
    expect(sites).to.include(`server 127.0.0.1:${backends[0].port} max_fails=3 fail_timeout=60 weight=1;`);
    await waitFor(async () => (await httpGet(nginxSitePort, 'any', '/web').catch(() => ({ body: '' }))).body.startsWith('web-'), { timeoutMs: 10_000, message: 'nginx site proxies /web' });
    const reloadsAfterFirst = nginx.reloads();
    expect(reloadsAfterFirst).to.be.at.least(1);
    await waitFor(async () => (await viaHaproxy('web.test')).body.startsWith('web-'), { timeoutMs: 10_000, message: `haproxy reloaded, routing web.test: ${haproxyErr}` });
    expect(readFileSync(haproxyCfg, 'utf8')).to.include(`server n2_${backends[1].port} 127.0.0.1:${backends[1].port}`);
    expect(usr1s(), 'the first render starts the child and does not also signal it').to.equal(0);

    // A KV change: only the app config changes, and the child gets the reload signal.
    await standinPut(consul.url, '/v1/kv/app/color', 'green');
    await waitFor(() => readFileSync(appConf, 'utf8') === 'color = green\nworkers = 2\n', { timeoutMs: 10_000, message: 'app.conf re-rendered' });
    await waitFor(() => usr1s() === 1, { timeoutMs: 10_000, message: `the child signalled once: ${childLines().join('|')}` });

    // A new instance: nginx and haproxy validated, swapped and reloaded; the child signalled again.
    await standinPut(consul.url, '/v1/catalog/register', { Node: 'n4', Address: '127.0.0.1', Service: { ID: 'web-n4', Service: 'web', Port: backends[2].port } });
    await waitFor(() => readFileSync(nginx.sitesPath, 'utf8').includes(`127.0.0.1:${backends[2].port}`), { timeoutMs: 10_000, message: 'nginx site has the new instance' });
    await waitFor(() => nginx.reloads() > reloadsAfterFirst, { timeoutMs: 10_000, message: 'nginx reloaded' });
    await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) seen.add((await viaHaproxy('web.test')).body);
      return seen.has('web-3\n');
    }, { timeoutMs: 10_000, message: 'haproxy reloaded with the new server' });
    await waitFor(() => usr1s() >= 2, { timeoutMs: 10_000, message: 'the child signalled on the change' });
    const usr1AfterChanges = usr1s();

    // A broken edit of the nginx template (a lost semicolon), picked up with the reload signal: nginx -t refuses
    // the candidate, the last good file stays live, nginx keeps serving, and the child is not signalled.
    const good = readFileSync(nginx.sitesPath, 'utf8');
    const reloadsBefore = nginx.reloads();
    writeFileSync(join(dir, 'nginx.conf.ctmpl'), nginxTemplate.replace('weight=1;', 'weight=1'));
    renderer.kill('SIGHUP');
    await waitFor(() => /validation-failed/.test(output) && /template not put live/.test(output), { timeoutMs: 15_000, message: `validation refused the broken edit: ${output.slice(-2000)}` });
    expect(readFileSync(nginx.sitesPath, 'utf8')).to.equal(good);
    expect(nginx.reloads()).to.equal(reloadsBefore);
    expect((await httpGet(nginxSitePort, 'any', '/web')).body).to.match(/^web-/);
    expect(usr1s()).to.equal(usr1AfterChanges);
    expect(childLines().some((l) => l.startsWith('SIGHUP')), 'the reload signal is the renderer\'s, not forwarded').to.equal(false);

    // The nginx template fixed and the haproxy one broken (an unknown balance algorithm): haproxy -c refuses the
    // candidate, the live haproxy.cfg stays, haproxy keeps routing; nginx's file is unchanged, so nothing reloads.
    const goodHaproxy = readFileSync(haproxyCfg, 'utf8');
    writeFileSync(join(dir, 'nginx.conf.ctmpl'), nginxTemplate);
    writeFileSync(join(dir, 'haproxy.cfg.ctmpl'), haproxyTemplate(haproxyPort).replace('balance roundrobin', 'balance no-such-algorithm'));
    const refusedHaproxy = () => output.split('\n').some((l) => l.includes(JSON.stringify(haproxyCfg)) && l.includes('validation-failed'));
    renderer.kill('SIGHUP');
    await waitFor(refusedHaproxy, { timeoutMs: 15_000, message: `haproxy -c refused the broken edit: ${output.slice(-2000)}` });
    expect(readFileSync(haproxyCfg, 'utf8')).to.equal(goodHaproxy);
    expect(readFileSync(nginx.sitesPath, 'utf8')).to.equal(good);
    expect((await viaHaproxy('web.test')).body).to.match(/^web-/);
    expect(usr1s()).to.equal(usr1AfterChanges);

    // Any other signal is forwarded to the child, as consul-template does.
    renderer.kill('SIGUSR2');
    await waitFor(() => childLines().some((l) => l.startsWith('SIGUSR2')), { timeoutMs: 5000, message: 'SIGUSR2 forwarded to the child' });

    // The kill signal: the child gets its kill signal, the renderer exits 12 and removes its pid file.
    renderer.kill('SIGINT');
    expect(await rendererExit).to.equal(12);
    expect(childLines().at(-1)).to.match(/^SIGTERM /);
    expect(existsSync(pidFile)).to.equal(false);
  });
});
