import { expect } from 'chai';
import { BlockingWatcher, waitFor, type BlockingQueryParams, type BlockingQueryResult } from '../src';

/** A query that answers from a script of steps, recording what each request sent. */
function scriptedQuery<T>(steps: Array<BlockingQueryResult<T> | Error>) {
  const sent: Array<Pick<BlockingQueryParams, 'index' | 'wait'>> = [];
  let position = 0;
  const query = async (params: BlockingQueryParams): Promise<BlockingQueryResult<T>> => {
    sent.push({ index: params.index, wait: params.wait });
    const step = steps[Math.min(position++, steps.length - 1)];
    if (position > steps.length) {
      // Past the script: block until stopped, as a quiet Consul would.
      await new Promise((_r, reject) => params.signal.addEventListener('abort', () => reject(params.signal.reason), { once: true }));
    }
    if (step instanceof Error) throw step;
    return step;
  };
  return { query, sent };
}

describe('core: blocking watcher', () => {
  it('emits the first answer, then only real changes', async () => {
    const { query } = scriptedQuery([
      { data: ['a'], index: 10 },
      { data: ['a'], index: 11 },
      { data: ['a', 'b'], index: 12 },
      { data: ['a', 'b'], index: 13 },
    ]);
    const watcher = new BlockingWatcher(query, { name: 't', minGapMs: 0, gapJitterMs: 0 });
    const seen: string[][] = [];
    watcher.on('change', (data) => seen.push(data));
    watcher.start();
    await waitFor(() => watcher.requests >= 5, { timeoutMs: 2000 });
    await watcher.stop();
    expect(seen).to.deep.equal([['a'], ['a', 'b']]);
  });

  it('blocks with the last index, resets when it goes backwards, and never blocks on 0', async () => {
    const { query, sent } = scriptedQuery([
      { data: 1, index: 10 },
      { data: 2, index: 5 },
      { data: 3, index: 0 },
      { data: 4, index: 20 },
    ]);
    const watcher = new BlockingWatcher(query, { name: 't', waitSeconds: 2, minGapMs: 0, gapJitterMs: 0 });
    watcher.start();
    await waitFor(() => sent.length >= 5, { timeoutMs: 2000 });
    await watcher.stop();
    expect(sent.slice(0, 5).map((s) => s.index)).to.deep.equal([undefined, 10, undefined, 1, 20]);
    expect(sent[1].wait).to.equal('2s');
  });

  it('backs off on errors instead of spinning, keeps the last data, and recovers', async () => {
    const failure = new Error('connect ECONNREFUSED');
    const { query, sent } = scriptedQuery<string>([{ data: 'good', index: 3 }, failure, failure, failure, { data: 'good', index: 9 }]);
    const watcher = new BlockingWatcher(query, { name: 't', minGapMs: 0, gapJitterMs: 0, backoff: { baseMs: 20, maxMs: 40 } });
    const errors: number[] = [];
    let recovered = 0;
    watcher.on('error', (_e, n) => errors.push(n));
    watcher.on('recovered', () => recovered++);
    watcher.start();
    await waitFor(() => recovered === 1, { timeoutMs: 3000 });
    await watcher.stop();
    expect(errors).to.deep.equal([1, 2, 3]);
    expect(watcher.data).to.equal('good');
    expect(watcher.healthy).to.equal(true);
    // After an error the next read is a fresh one (the agent may have restarted with new indexes).
    expect(sent[2].index).to.equal(undefined);
  });

  it('keeps a minimum gap between queries', async () => {
    const { query, sent } = scriptedQuery(Array.from({ length: 50 }, (_, i) => ({ data: i, index: i + 1 })));
    const watcher = new BlockingWatcher(query, { name: 't', minGapMs: 50, gapJitterMs: 0 });
    watcher.start();
    const started = Date.now();
    await waitFor(() => sent.length >= 5, { timeoutMs: 3000 });
    await watcher.stop();
    expect(Date.now() - started).to.be.at.least(4 * 50 - 5);
  });
});
