// consul-template's nginx example (examples/nginx.md, "Global Load Balancer"), rendered as consul-template would:
// Go templates have no trimBlocks/lstripBlocks, so every space and newline around the actions is kept.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { compileGoTemplate, renderGoTemplate } from '../../src/gotemplate';
import { FixedDataSource, instance, type FixedData } from './fixed-source';

/** The template as the example gives it (saved with a final newline). */
const NGINX_EXAMPLE = readFileSync(join(__dirname, 'fixtures', 'nginx.ctmpl'), 'utf8');

const SERVER_BLOCK = '\n\nserver {\n  listen 80 default_server;\n\n  location / {\n    root /usr/share/nginx/html/;\n    index index.html;\n  }\n\n'
  + '  location /stub_status {\n    stub_status;\n  }\n\n';

/** The bytes the template gives for services (sorted by name, as the catalog lists them) and their passing addresses. */
function expected(services: [string, string[]][]): string {
  let out = '';
  for (const [name, addresses] of services) {
    // " " before the $name action, " " before the $service action, then the upstream.
    out += `  \nupstream ${name} {\n  zone upstream-${name} 64k;\n  `;
    if (addresses.length === 0) out += 'server 127.0.0.1:65535; # force a 502';
    for (const a of addresses) out += `server ${a} max_fails=3 fail_timeout=60 weight=1;\n  `;
    out += '\n} ';
  }
  out += SERVER_BLOCK;
  for (const [name] of services) out += ` \n  location /${name} {\n    proxy_pass http://${name};\n  }\n`;
  return `${out}\n}\n`;
}

const DATA: FixedData = {
  services: {
    dc1: {
      web: [
        instance({ Name: 'web', Node: 'n1', Address: '10.0.0.1', Port: 8080 }),
        instance({ Name: 'web', Node: 'n2', Address: '10.0.0.2', Port: 8080 }),
        instance({ Name: 'web', Node: 'n3', Address: '10.0.0.3', Port: 8080, Status: 'critical' }),
      ],
      // Registered, but with no passing instance: the example's `{{else}}` branch.
      api: [instance({ Name: 'api', Node: 'n1', Address: '10.0.0.1', Port: 9090, Status: 'critical' })],
    },
  },
};

describe('gotemplate: consul-template nginx example', () => {
  const compiled = compileGoTemplate(NGINX_EXAMPLE);

  it('renders a service with instances and one with none, byte for byte', () => {
    const outcome = renderGoTemplate(compiled, new FixedDataSource(DATA));
    expect(outcome.error).to.equal(undefined);
    expect(outcome.missing).to.deep.equal([]);
    expect(outcome.output).to.equal(expected([['api', []], ['web', ['10.0.0.1:8080', '10.0.0.2:8080']]]));
    expect(outcome.output).to.include('upstream api {\n  zone upstream-api 64k;\n  server 127.0.0.1:65535; # force a 502\n} ');
  });

  it('renders only the server block when the catalog has no service', () => {
    const outcome = renderGoTemplate(compiled, new FixedDataSource({ services: { dc1: {} } }));
    expect(outcome.output).to.equal(expected([]));
  });

  it('reports missing dependencies phase by phase until every query has answered', () => {
    const phase1 = renderGoTemplate(compiled, new FixedDataSource({ ...DATA, notYet: new Set(['catalog.services']) }));
    expect(phase1.missing).to.deep.equal(['catalog.services']);

    const phase2 = renderGoTemplate(compiled, new FixedDataSource({ ...DATA, notYet: new Set(['health.service(web|passing)', 'health.service(api|passing)']) }));
    expect(phase2.missing).to.deep.equal(['health.service(api|passing)', 'health.service(web|passing)']);
    expect([...phase2.used.keys()].sort()).to.deep.equal(['catalog.services', 'health.service(api|passing)', 'health.service(web|passing)']);

    const phase3 = renderGoTemplate(compiled, new FixedDataSource(DATA));
    expect(phase3.missing).to.deep.equal([]);
    expect(phase3.output).to.equal(expected([['api', []], ['web', ['10.0.0.1:8080', '10.0.0.2:8080']]]));
  });
});
