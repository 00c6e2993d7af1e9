import { expect } from 'chai';
import { isDeepStrictEqual } from 'node:util';
import { sameJsonValue } from '../src/same-json';

/** A seeded generator of JSON-shaped values (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function jsonValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 4 : 6));
  switch (pick) {
    case 0: return Math.floor(next() * 5);
    case 1: return ['', 'a', 'b', 'web'][Math.floor(next() * 4)];
    case 2: return next() < 0.5;
    case 3: return null;
    case 4: return Array.from({ length: Math.floor(next() * 4) }, () => jsonValue(next, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--) out[['ID', 'Tags', 'Meta', 'Port'][Math.floor(next() * 4)]] = jsonValue(next, depth + 1);
      return out;
    }
  }
}

/** A copy with, sometimes, one leaf changed: equal and unequal pairs both occur. */
function mutate(value: unknown, next: () => number): unknown {
  if (next() < 0.15) return jsonValue(next, 3);
  if (Array.isArray(value)) return value.map((v) => mutate(v, next));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mutate(v, next)]));
  return value;
}

describe('core: sameJsonValue (equality of parsed answers)', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal primitives', 'a', 'a', true],
    ['a number and its string', 1, '1', false],
    ['null and an empty object', null, {}, false],
    ['an empty array and an empty object', [], {}, false],
    ['arrays element by element', [1, ['a']], [1, ['a']], true],
    ['arrays of different lengths', [1], [1, 1], false],
    ['key order does not matter', { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ['a missing key against an undefined one', { a: undefined }, { b: undefined }, false],
    ['an extra key', { a: 1 }, { a: 1, b: 1 }, false],
    ['NaN equals NaN, as isDeepStrictEqual says', NaN, NaN, true],
    ['Maps are compared by content (isDeepStrictEqual)', new Map([['a', 1]]), new Map([['a', 2]]), false],
    ['equal Maps', new Map([['a', [1]]]), new Map([['a', [1]]]), true],
    ['a Map and a plain object', new Map(), {}, false],
    ['a null-prototype object against a plain one (prototypes differ)', Object.assign(Object.create(null), { a: 1 }), { a: 1 }, false],
  ];
  for (const [name, a, b, want] of cases) {
    it(name, () => {
      expect(sameJsonValue(a, b)).to.equal(want);
      expect(sameJsonValue(a, b), 'the same as isDeepStrictEqual').to.equal(isDeepStrictEqual(a, b));
    });
  }

  it('agrees with isDeepStrictEqual on 5,000 random JSON pairs (seeded)', () => {
    const next = random(20261202);
    let equalPairs = 0;
    for (let i = 0; i < 5000; i++) {
      const a = jsonValue(next);
      const b = mutate(JSON.parse(JSON.stringify(a ?? null)), next);
      const want = isDeepStrictEqual(a ?? null, b);
      if (want) equalPairs++;
      expect(sameJsonValue(a ?? null, b), `pair ${i}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`).to.equal(want);
    }
    expect(equalPairs, 'both outcomes were exercised').to.be.within(500, 4500);
  });
});
