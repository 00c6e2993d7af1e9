// The copy-on-write draft behind every write: it reads and iterates exactly as a copied Map would.
import { expect } from 'chai';
import { DraftMap } from '../src/draft-map';

/** Applies the same operations to a copied Map and to a draft, and checks both read the same at each step. */
function compare(base: Array<[string, { v: number }]>, ops: Array<['set', string, number] | ['delete', string] | ['mutate', string]>): void {
  const copied = new Map(structuredClone(base));
  const live = new Map(base);
  const draft = new DraftMap(live);
  for (const op of ops) {
    if (op[0] === 'set') {
      copied.set(op[1], { v: op[2] });
      draft.set(op[1], { v: op[2] });
    } else if (op[0] === 'delete') {
      expect(draft.delete(op[1])).to.equal(copied.delete(op[1]));
    } else {
      copied.get(op[1])!.v += 100;
      draft.get(op[1])!.v += 100;
    }
    expect([...draft.entries()]).to.deep.equal([...copied.entries()]);
    expect(draft.size).to.equal(copied.size);
    for (const key of ['a', 'b', 'c', 'd']) expect(draft.has(key), key).to.equal(copied.has(key));
  }
  // The base is untouched until settle, then holds what the copy holds, in the same order.
  expect([...live.entries()]).to.deep.equal(base);
  expect([...draft.settle().entries()]).to.deep.equal([...copied.entries()]);
}

describe('bigip-standin draft map (copy-on-write)', () => {
  const base = (): Array<[string, { v: number }]> => [['a', { v: 1 }], ['b', { v: 2 }], ['c', { v: 3 }]];
  const cases: Array<{ name: string; ops: Parameters<typeof compare>[1] }> = [
    { name: 'nothing', ops: [] },
    { name: 'a mutation through get copies the record in place', ops: [['mutate', 'b']] },
    { name: 'set of an existing key keeps its position', ops: [['set', 'a', 9]] },
    { name: 'new keys go at the end in order', ops: [['set', 'd', 4], ['set', 'e', 5]] },
    { name: 'delete then set again moves the key to the end', ops: [['delete', 'a'], ['set', 'a', 7]] },
    { name: 'delete of a missing key is false', ops: [['delete', 'zz'], ['delete', 'b'], ['delete', 'b']] },
    { name: 'mutate then delete then re-add', ops: [['mutate', 'c'], ['delete', 'c'], ['set', 'c', 1], ['mutate', 'c']] },
    { name: 'added key deleted again', ops: [['set', 'd', 4], ['delete', 'd']] },
  ];
  for (const { name, ops } of cases) it(name, () => compare(base(), ops));

  it('hands out a copy on get, so a draft that is never settled leaves the base as it was', () => {
    const record = { v: 1 };
    const live = new Map([['a', record]]);
    const draft = new DraftMap(live);
    draft.get('a')!.v = 2;
    draft.set('b', { v: 3 });
    expect(record.v).to.equal(1);
    expect([...live.keys()]).to.deep.equal(['a']);
  });
});
