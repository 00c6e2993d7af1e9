// consul-template's nginx example (a .ctmpl, unchanged) run by the renderer against the stand-in: chosen as a Go
// template by its extension, validated by a real `nginx -t` against the candidate before it goes live, and a broken
// edit of it never replaces the live file.

import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { resolveRendererConfig } from '../src/config';
import { Runner } from '../src/runner';
import { NGINX, nginxAccepts } from './nginx-harness';
import { standinPut } from './standin-put';

const EXAMPLE = join(__dirname, 'gotemplate', 'fixtures', 'nginx.ctmpl');

/** `validate.sh <candidate>`: the candidate as a full nginx config in a throwaway prefix, checked by nginx -t. */
const VALIDATE = `#!/bin/sh
set -eu
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
printf 'error_log %s/error.log;\\npid %s/nginx.pid;\\nevents {}\\nhttp {\\n  client_body_temp_path %s/b;\\n  proxy_temp_path %s/p;\\n  fastcgi_temp_path %s/f;\\n  uwsgi_temp_path %s/u;\\n  scgi_temp_path %s/s;\\n  include %s;\\n}\\n' \\
  "$prefix" "$prefix" "$prefix" "$prefix" "$prefix" "$prefix" "$prefix" "$1" > "$prefix/nginx.conf"
exec ${NGINX} -q -p "$prefix/" -e "$prefix/error.log" -c "$prefix/nginx.conf" -t
`;

describe('renderer: consul-template\'s nginx example as a Go template, validated by nginx', function () {
  this.timeout(30_000);
  let consul: ConsulStandin;
  let client: ConsulHttpClient;
  let dir: string;

  before(async () => {
    consul = await startConsulStandin();
    client = new ConsulHttpClient({ scheme: 'http', host: '127.0.0.1', port: consul.port, verifyTls: true });
    for (const [node, port] of [['n1', 8081], ['n2', 8082]] as const) {
      await standinPut(consul.url, '/v1/catalog/register', { Node: node, Address: '127.0.0.1', Service: { ID: `web-${node}`, Service: 'web', Port: port } });
    }
    // Registered, but with no passing instance: the example's `{{else}}` branch.
    await standinPut(consul.url, '/v1/catalog/register', { Node: 'n3', Address: '127.0.0.1', Service: { ID: 'api-n3', Service: 'api', Port: 9090 }, Check: { CheckID: 'api', Name: 'api', Status: 'critical', ServiceID: 'api-n3' } });
  });
  after(async () => {
    client?.close();
    await consul?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-go-nginx-'));
    writeFileSync(join(dir, 'validate.sh'), VALIDATE, { mode: 0o755 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function once(source: string) {
    const destination = join(dir, 'sites.conf');
    const config = resolveRendererConfig({ once: true, onceTimeout: '10s', templates: [{ source, destination, validateCommand: [join(dir, 'validate.sh'), '{{candidate}}'] }] }, dir);
    expect(config.templates[0].engine, 'chosen by the .ctmpl extension').to.equal('go');
    const { templates: [report] } = await new Runner({ config, consul: client }).runOnce();
    return { report, written: readFileSync(destination, 'utf8') };
  }

  it('renders the example unchanged, nginx -t accepts it, and it goes live', async () => {
    const source = join(dir, 'nginx.ctmpl');
    copyFileSync(EXAMPLE, source);
    const { report, written } = await once(source);
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(written).to.include('upstream api {\n  zone upstream-api 64k;\n  server 127.0.0.1:65535; # force a 502\n} ');
    expect(written).to.include('upstream web {\n  zone upstream-web 64k;\n  server 127.0.0.1:8081 max_fails=3 fail_timeout=60 weight=1;\n  server 127.0.0.1:8082 max_fails=3 fail_timeout=60 weight=1;\n  \n} ');
    const check = nginxAccepts(written);
    expect(check.ok, check.output).to.equal(true);
  });

  it('a broken edit (a lost semicolon) fails nginx -t and never replaces the live file', async () => {
    const source = join(dir, 'nginx.ctmpl');
    copyFileSync(EXAMPLE, source);
    const good = (await once(source)).written;
    writeFileSync(source, readFileSync(EXAMPLE, 'utf8').replace('weight=1;', 'weight=1'));
    const { report, written } = await once(source);
    expect(report).to.deep.include({ status: 'failed', reason: 'validation-failed' });
    expect(written).to.equal(good);
  });
});
