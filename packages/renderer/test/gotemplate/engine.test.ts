// The render protocol the renderer wires against: what a render reports besides its bytes.

import { expect } from 'chai';
import { compileGoTemplate, renderGoTemplate, TemplateParseError, type GoData, type GoDependency } from '../../src/gotemplate';
import { FixedDataSource, instance } from './fixed-source';

const WEB = { services: { dc1: { web: [instance({ Name: 'web', Node: 'n1', Address: '10.0.0.1', Port: 80 })] } } };

describe('gotemplate engine', () => {
  it('keeps what the template used before an execution error, so the renderer still watches it', () => {
    const outcome = renderGoTemplate(compileGoTemplate('{{ range service "web" }}{{ .Adress }}{{ end }}'), new FixedDataSource(WEB));
    expect(outcome.error?.message).to.match(/can't evaluate field Adress in type \*dependency.HealthService/);
    expect([...outcome.used.keys()]).to.deep.equal(['health.service(web|passing)']);
  });

  it('tells missing (no answer yet) from blocked (answered, but consul-template would not render)', () => {
    const template = compileGoTemplate('{{ key "a" }}{{ key "b" }}{{ safeLs "c" }}{{ ls "d" }}');
    const outcome = renderGoTemplate(template, new FixedDataSource({ kv: { dc1: { b: 'x' } }, notYet: new Set(['kv.get(a)']) }));
    expect(outcome.missing).to.deep.equal(['kv.get(a)']);
    expect(outcome.blockedOn).to.deep.equal(['kv.list(c)']);
    expect(outcome.output).to.equal('x[][]');
  });

  it('a data source answering the wrong kind is an error, not a silent empty render', () => {
    const wrong = { lookup: (_dep: GoDependency): GoData => ({ kind: 'file', data: 'x' }) };
    expect(renderGoTemplate(compileGoTemplate('{{ key "a" }}'), wrong).error?.message).to.equal('data source answered kv.get query kv.get(a) with file data');
  });

  it('reports syntax errors at compile time with Go\'s message and the template name', () => {
    expect(() => compileGoTemplate('{{ if }}', { name: 'nginx.ctmpl' })).to.throw(TemplateParseError, 'template: nginx.ctmpl:1: missing value for if');
  });

  it('renders the same compiled template again with new data', () => {
    const compiled = compileGoTemplate('{{ range service "web" }}{{ .Address }} {{ end }}');
    expect(renderGoTemplate(compiled, new FixedDataSource(WEB)).output).to.equal('10.0.0.1 ');
    expect(renderGoTemplate(compiled, new FixedDataSource({ services: { dc1: { web: [] } } })).output).to.equal('');
  });

  it('scratch is per render, as consul-template builds its function map per execution', () => {
    const compiled = compileGoTemplate('{{ scratch.Key "k" }}{{ scratch.Set "k" 1 }}');
    const source = new FixedDataSource({});
    expect(renderGoTemplate(compiled, source).output).to.equal('false');
    expect(renderGoTemplate(compiled, source).output).to.equal('false');
  });
});
