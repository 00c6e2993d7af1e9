import { expect } from 'chai';
import { blockingTimeoutMs, nextBlockingIndex } from '../src';

describe('core: blocking-query index rules', () => {
  const cases: Array<[string, number | undefined, number, number | undefined]> = [
    ['first read takes the returned index', undefined, 42, 42],
    ['moving forward follows', 42, 50, 50],
    ['the same index (a timeout) keeps it', 42, 42, 42],
    ['going backwards resets to a fresh read', 42, 7, undefined],
    ['0 is never blocked on: it becomes 1', 42, 0, 1],
    ['0 on a first read becomes 1', undefined, 0, 1],
  ];
  for (const [what, sent, returned, next] of cases) {
    it(what, () => expect(nextBlockingIndex(sent, returned)).to.equal(next));
  }
  it('puts wait plus Consul jitter (wait/16) inside the HTTP timeout', () => {
    expect(blockingTimeoutMs(60)).to.be.above(60_000 * 1.0625);
  });
});
