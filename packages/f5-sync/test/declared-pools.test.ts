// Pools declared from Consul (tag f5-pool=<name> or meta f5-pool, virtual server in meta f5-virtual): table tests of the
// pure parser, malformed declarations included (each error names the service, the key and the value).

import { expect } from 'chai';
import { declaredPool, declaredPools, type ServiceDeclarationInput } from '../src/observe/declared-pools';

const DEFAULTS = { partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1 };

describe('pools declared from Consul', () => {
  const cases: Array<{ name: string; input: Omit<ServiceDeclarationInput, 'service'>; pool?: Record<string, unknown>; error?: { key: string; value: string; message: RegExp } }> = [
    { name: 'no declaration -> no pool', input: { tags: ['prod'], metas: [{}] } },
    { name: 'tag f5-pool=<name>', input: { tags: ['f5-pool=web_pool'], metas: [{}] }, pool: { consulService: 'web', name: 'web_pool', partition: 'Common' } },
    { name: 'meta f5-pool, virtual server in meta', input: { tags: [], metas: [{ 'f5-pool': 'web_pool', 'f5-virtual': '10.0.0.10:80' }, { 'f5-pool': 'web_pool', 'f5-virtual': '10.0.0.10:80' }] }, pool: { name: 'web_pool', virtual: { destination: '10.0.0.10:80', profiles: ['/Common/tcp'], snat: 'none' } } },
    { name: 'tag and meta agreeing', input: { tags: ['f5-pool=web_pool'], metas: [{ 'f5-pool': 'web_pool' }] }, pool: { name: 'web_pool' } },
    { name: 'a bad pool name', input: { tags: ['f5-pool=web pool'], metas: [] }, error: { key: 'f5-pool', value: 'web pool', message: /service web: tag f5-pool "web pool" is not a pool name/ } },
    { name: 'a bad destination', input: { tags: ['f5-pool=web_pool'], metas: [{ 'f5-virtual': 'web.example:80' }] }, error: { key: 'f5-virtual', value: 'web.example:80', message: /service web: meta f5-virtual "web.example:80" is not a destination/ } },
    { name: 'instances disagreeing on the pool', input: { tags: [], metas: [{ 'f5-pool': 'a' }, { 'f5-pool': 'b' }] }, error: { key: 'f5-pool', value: 'a, b', message: /service web: f5-pool has conflicting values \["a","b"\]/ } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = declaredPool({ service: 'web', ...c.input }, DEFAULTS);
      if (c.pool) expect(result.pool).to.deep.include(c.pool);
      else expect(result.pool).to.equal(undefined);
      if (c.error) {
        expect(result.error).to.include({ service: 'web', key: c.error.key, value: c.error.value });
        expect(result.error!.message).to.match(c.error.message);
      } else {
        expect(result.error).to.equal(undefined);
      }
    });
  }

  it('two services claiming one pool, or a pool the config lists: neither is taken, each named', () => {
    const inputs: ServiceDeclarationInput[] = [
      { service: 'a', tags: ['f5-pool=shared'], metas: [] },
      { service: 'b', tags: ['f5-pool=shared'], metas: [] },
      { service: 'c', tags: ['f5-pool=listed'], metas: [] },
      { service: 'd', tags: ['f5-pool=d_pool'], metas: [] },
    ];
    const { pools, errors } = declaredPools(inputs, [{ consulService: 'x', name: 'listed', ...DEFAULTS }], DEFAULTS);
    expect(pools.map((p) => p.name)).to.deep.equal(['d_pool']);
    expect(errors.map((e) => [e.service, e.key, e.value])).to.deep.equal([['a', 'f5-pool', 'shared'], ['b', 'f5-pool', 'shared'], ['c', 'f5-pool', 'listed']]);
    expect(errors[0]!.message).to.equal('service a: pool /Common/shared is declared by 2 services (a, b); not taken from Consul');
    // The config file wins; the warning names both the declaring service and the config's entry.
    expect(errors[2]!.message).to.equal("service c: declares pool /Common/listed, which the config file lists (pools.0, consulService x); the config file's entry wins, the declaration is ignored");
    expect(errors[2]!.configured).to.equal(true);
    expect(errors[0]!.configured).to.equal(undefined);
  });
});
