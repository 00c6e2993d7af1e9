// Shared values: an answer shares what it can with the previous one (equal: the previous itself; else the
// unchanged elements), and the views of one answer share their repeated fields, all without changing a value.

import { expect } from 'chai';
import type { BlockingQuery } from '@consul-sidecars/core';
import { normaliseHealthService, shareWithPrevious, sharingAnswers } from '../src/dependencies';
import { instance } from './fixtures';

describe('renderer shared values', () => {
  describe('shareWithPrevious', () => {
    const a = instance('web-1', 80);
    const b = instance('web-2', 81);
    const c = instance('web-3', 82);
    const copy = <T>(v: T): T => structuredClone(v);
    const cases: { name: string; previous: unknown; next: unknown; whole: boolean; sharedAt: number[] }[] = [
      { name: 'equal lists: the previous list itself', previous: [a, b], next: copy([a, b]), whole: true, sharedAt: [0, 1] },
      { name: 'one element changed: the others shared', previous: [a, b, c], next: [copy(a), { ...copy(b), Port: 90 }, copy(c)], whole: false, sharedAt: [0, 2] },
      { name: 'an element removed before the others: matched by node and ID', previous: [a, b, c], next: [copy(b), copy(c)], whole: false, sharedAt: [0, 1] },
      { name: 'an element added: the old ones shared', previous: [a], next: [copy(a), copy(b)], whole: false, sharedAt: [0] },
      { name: 'equal objects (not lists): the previous', previous: { Key: 'k', Value: 'v' }, next: { Key: 'k', Value: 'v' }, whole: true, sharedAt: [] },
      { name: 'different objects: the next', previous: { Key: 'k', Value: 'v' }, next: { Key: 'k', Value: 'w' }, whole: false, sharedAt: [] },
      { name: 'null stays null', previous: null, next: null, whole: false, sharedAt: [] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const out = shareWithPrevious(c.previous, c.next);
        expect(out, 'the same value').to.deep.equal(c.next);
        if (c.whole) expect(out).to.equal(c.previous);
        const previousElements = Array.isArray(c.previous) ? c.previous : [];
        const shared = Array.isArray(out) ? out.flatMap((e: unknown, i: number) => (previousElements.includes(e) ? [i] : [])) : [];
        expect(shared).to.deep.equal(c.sharedAt);
      });
    }
  });

  it('sharingAnswers: an equal answer comes back as the last one, a changed one as itself', async () => {
    const answers = [[instance('web-1', 80)], [instance('web-1', 80)], [instance('web-1', 81)]];
    let n = 0;
    const query: BlockingQuery<unknown> = async () => ({ data: answers[n++], index: n });
    const shared = sharingAnswers(query);
    const params = { timeoutMs: 1000, signal: new AbortController().signal };
    const first = await shared(params);
    const second = await shared(params);
    const third = await shared(params);
    expect(second.data).to.equal(first.data);
    expect(second.index).to.equal(2);
    expect(third.data).to.deep.equal(answers[2]);
    expect(third.data).to.not.equal(first.data);
  });

  it('the views of one answer share the service name, tags and node fields, and are the values they were', () => {
    const node = { Node: 'n1', ID: 'node-id', Address: '10.0.0.1', TaggedAddresses: { lan: '10.0.0.1' }, Meta: {} };
    const raw = [1, 2].map((i) => ({
      Node: node,
      Service: { ID: `web-${i}`, Service: 'web', Tags: ['http'], Address: `10.1.0.${i}`, Port: 80, Meta: {}, TaggedAddresses: {}, Weights: { Passing: 1, Warning: 1 } },
      Checks: [{ Node: 'n1', CheckID: `c${i}`, Name: 'alive', Status: 'passing', ServiceID: `web-${i}`, ServiceName: 'web', ServiceTags: ['http'], Output: '' }],
    }));
    const [one, two] = normaliseHealthService(structuredClone(raw), { kind: 'health.service', service: 'web', status: 'passing' });
    expect(JSON.parse(JSON.stringify([one, two]))).to.deep.equal(JSON.parse(JSON.stringify(normaliseHealthService(structuredClone(raw), { kind: 'health.service', service: 'web', status: 'passing' }))));
    expect(one.Tags).to.equal(two.Tags);
    expect(one.Checks[0].ServiceTags).to.equal(one.Tags);
    expect(one.NodeMeta).to.equal(two.NodeMeta);
    expect(one.NodeTaggedAddresses).to.equal(two.NodeTaggedAddresses);
    expect(one.Meta).to.equal(two.Meta);
    expect(one.Weights).to.equal(two.Weights);
    expect(one).to.deep.include({ Name: 'web', Node: 'n1', NodeID: 'node-id', NodeAddress: '10.0.0.1', NodeTaggedAddresses: { lan: '10.0.0.1' }, NodeMeta: {}, Meta: {}, Weights: { Passing: 1, Warning: 1 } });
  });

  it('a node whose fields changed is not given its old ones', () => {
    const entry = (address: string) => [{ Node: { Node: 'n-moved', Address: address, Meta: { rack: address } }, Service: { ID: 'web-1', Service: 'web', Port: 80 }, Checks: [] }];
    const dep = { kind: 'health.service', service: 'web', status: 'passing' } as const;
    normaliseHealthService(entry('10.0.0.1'), dep);
    const [moved] = normaliseHealthService(entry('10.0.0.2'), dep);
    expect(moved).to.deep.include({ NodeAddress: '10.0.0.2', Address: '10.0.0.2', NodeMeta: { rack: '10.0.0.2' } });
  });
});
