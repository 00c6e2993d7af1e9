// nunjucks mode (issue #17 item 6): outputting an undefined value is an error naming the expression
// (`{{ i.Adress }}` must not render `server :80`); undefined stays falsy in tests, and default()/or still apply.

import { expect } from 'chai';
import { dependencyKey, type Dependency, type DependencyData } from '../src/dependencies';
import { TemplateEnvironment, type DependencySource } from '../src/template-env';
import { instance } from './fixtures';

const web: Dependency = { kind: 'health.service', service: 'web', status: 'passing' };

function source(data: [Dependency, DependencyData][]): DependencySource {
  const byKey = new Map(data.map(([dep, value]) => [dependencyKey(dep), value]));
  return { lookup: (dep) => (byKey.has(dependencyKey(dep)) ? { ready: true, data: byKey.get(dependencyKey(dep)) } : { ready: false }) };
}

describe('renderer nunjucks: undefined values', () => {
  const env = new TemplateEnvironment({ env: {} });
  const render = (text: string, context: Record<string, unknown> = {}) => env.render(env.compile(text, 't.njk'), source([[web, [instance('a', 80)]]]), context);

  it('a misspelt field is a render error quoting the expression, line and column', () => {
    const out = render('upstream web {\n{% for i in service("web") %}  server {{ i.Adress }}:{{ i.Port }};\n{% endfor %}}\n');
    expect(out.error?.code).to.equal('ERR_RENDER');
    expect(out.error?.message).to.equal('template t.njk: (t.njk) [Line 2, Column 39] {{ i.Adress }} is undefined (a misspelt field or a missing value; use default() or an if where it may be absent)');
  });

  it('an undefined variable is the same error', () => {
    expect(render('listen {{ vars.lisen }};', { vars: { listen: 80 } }).error?.message).to.match(/\{\{ vars\.lisen \}\} is undefined/);
  });

  it('undefined is still falsy in tests, and or/default() give the fallback', () => {
    const out = render('{% if vars.tls %}tls{% else %}plain{% endif %} {{ vars.port or 80 }} {{ vars.host | default("localhost") }}', { vars: {} });
    expect(out.error).to.equal(undefined);
    expect(out.output).to.equal('plain 80 localhost');
  });

  it('a present field, even empty, renders as before', () => {
    expect(render('{% for i in service("web") %}[{{ i.Tags | join(",") }}]{{ i.Address }}{% endfor %}').output).to.equal('[]127.0.0.1');
  });
});
