import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveRendererConfig } from '../../src';
import { parseCtConfig, planCompatConfig } from '../../src/compat';

/** The HCL examples of the README's migration guide are read as they are: the guide cannot show a config the renderer refuses. */
describe('compat: the README\'s migration guide examples', function () {
  this.timeout(20_000);
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const text = readme.slice(readme.indexOf('## Migrating from consul-template'), readme.indexOf('## What it fixes compared with consul-template'));
  const blocks = [...text.matchAll(/```hcl\n([\s\S]*?)```/g)].map((m) => m[1]);

  it('has the before and after examples', () => expect(blocks).to.have.length(2));

  it('before: an edge node\'s consul-template config reads, maps, and passes the renderer\'s validation', async () => {
    const plan = planCompatConfig(await parseCtConfig(blocks[0], 'before.hcl'), { cwd: '/' });
    const config = resolveRendererConfig(plan.rendererConfig, '/', 'before.hcl');
    expect(config.templates.map((t) => t.destination)).to.deep.equal(['/etc/nginx/conf.d/sites.conf', '/etc/haproxy/haproxy.cfg', '/etc/app/app.conf']);
    expect(config.wait).to.deep.equal({ minMs: 2000, maxMs: 10_000 });
    expect(plan.exec).to.deep.include({ argv: ['sh', '-c', '/usr/bin/app -c /etc/app/app.conf'], reloadSignal: 'SIGHUP', killTimeoutMs: 10_000 });
  });

  it('after: the additions map onto validateCommand and guard', async () => {
    const plan = planCompatConfig(await parseCtConfig(blocks[1], 'after.hcl'), { cwd: '/' });
    const config = resolveRendererConfig(plan.rendererConfig, '/', 'after.hcl');
    expect(config.templates[0]).to.deep.include({ validateCommand: 'nginx -t -q', reloadCommand: 'nginx -s reload', perms: 0o644 });
    expect(config.templates[0].guard).to.deep.include({ minInstances: 1, dropHoldMs: 300_000 });
    expect(config.templates[1].validateCommand).to.equal('haproxy -c -f {{candidate}}');
  });
});
