// consul-template's query syntax for the data functions, and the dependency keys (shaped like its String()).

import { expect } from 'chai';
import { goDependencyKey } from '../../src/gotemplate';
import { parseCatalogNode, parseCatalogNodes, parseCatalogServices, parseHealthService, parseKvGet, parseKvList } from '../../src/gotemplate/query';

describe('gotemplate query syntax', () => {
  it('service: tag.name?query@dc~near|filters', () => {
    const dep = parseHealthService('primary.db?ns=team&partition=eu@dc2~_agent|warning,passing');
    expect(dep).to.deep.equal({
      kind: 'health.service', name: 'db', tag: 'primary', dc: 'dc2', near: '_agent', filters: ['passing', 'warning'], query: { ns: 'team', partition: 'eu' },
    });
    expect(goDependencyKey(dep)).to.equal('health.service(primary.db@dc2@partition=eu@ns=team~_agent|passing,warning)');
  });

  it('service: the last dot separates the tag, and no filter means passing', () => {
    const dep = parseHealthService('v1.2.web');
    expect([dep.tag, dep.name, dep.filters]).to.deep.equal(['v1.2', 'web', ['passing']]);
    expect(goDependencyKey(parseHealthService('web'))).to.equal('health.service(web|passing)');
  });

  it('service: rejects what consul-template rejects, in its words', () => {
    expect(() => parseHealthService('web|healthy')).to.throw('health.service: invalid filter: "healthy" in "web|healthy"');
    expect(() => parseHealthService('we b')).to.throw('health.service: invalid format: "we b"');
    expect(() => parseHealthService('web?color=red')).to.throw('health.service: invalid query parameter key "color" in query "color=red"');
  });

  it('services, nodes and node take @dc (and ~near for nodes)', () => {
    expect(goDependencyKey(parseCatalogServices(''))).to.equal('catalog.services');
    expect(goDependencyKey(parseCatalogServices('@dc2'))).to.equal('catalog.services(@dc2)');
    expect(goDependencyKey(parseCatalogNodes('@dc2~_agent'))).to.equal('catalog.nodes(@dc2~_agent)');
    expect(goDependencyKey(parseCatalogNode(''))).to.equal('catalog.node');
    expect(goDependencyKey(parseCatalogNode('node1@dc2'))).to.equal('catalog.node(node1@dc2)');
  });

  it('key and prefix: a leading slash is dropped, @dc taken', () => {
    expect(parseKvGet('/service/redis/maxconns@dc2')).to.deep.equal({ kind: 'kv.get', key: 'service/redis/maxconns', dc: 'dc2', query: {} });
    expect(goDependencyKey(parseKvList('config/?ns=a'))).to.equal('kv.list(config/@ns=a)');
  });
});
