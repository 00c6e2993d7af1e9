// consul-template's max_stale: reads go with ?stale (any server answers, the load spreads over followers); an
// answer whose X-Consul-LastContact exceeds max_stale is asked again at once without ?stale (the leader answers),
// and the next query is stale again (consul-template's watch/view.go). 0 turns it off: default consistency.

import type { BlockingQuery } from '../blocking-watcher';
import type { BlockingAnswer, BlockingReadOptions, ConsulHttpClient, ReadOptions } from './client';
import type { ConsulRead } from './reads';

/** One read (plain or blocking) under max_stale; `onTooStale` hears each answer that was asked again. */
export async function readWithMaxStale<T>(
  client: ConsulHttpClient,
  read: ConsulRead<T>,
  options: BlockingReadOptions & { maxStaleMs: number; onTooStale?: (lastContactMs: number) => void },
): Promise<BlockingAnswer<T>> {
  const { maxStaleMs, onTooStale, ...rest } = options;
  if (!(maxStaleMs > 0)) return client.blocking(read, rest);
  const stale = await client.blocking(read, { ...rest, consistency: 'stale' });
  if (stale.lastContact <= maxStaleMs) return stale;
  onTooStale?.(stale.lastContact);
  return client.blocking(read, { ...rest, consistency: rest.consistency === 'stale' ? undefined : rest.consistency });
}

/** client.blockingQuery(read) under max_stale: what a BlockingWatcher drives. */
export function maxStaleBlockingQuery<T>(
  client: ConsulHttpClient,
  read: ConsulRead<T>,
  options: ReadOptions & { maxStaleMs: number; onTooStale?: (lastContactMs: number) => void },
): BlockingQuery<T> {
  return async ({ index, wait, timeoutMs, signal }) => {
    const answer = await readWithMaxStale(client, read, { ...options, index, wait, timeoutMs, signal });
    return { data: answer.value, index: answer.index, knownLeader: answer.knownLeader, lastContact: answer.lastContact };
  };
}

/**
 * The client as query kinds see it, with blockingQuery under max_stale (every other method is the client's):
 * kinds written against ConsulHttpClient.blockingQuery get max_stale without knowing of it.
 */
export function withMaxStale(client: ConsulHttpClient, maxStaleMs: number, onTooStale?: (lastContactMs: number) => void): ConsulHttpClient {
  if (!(maxStaleMs > 0)) return client;
  const wrapped = Object.create(client) as ConsulHttpClient;
  wrapped.blockingQuery = <T>(read: ConsulRead<T>, options: ReadOptions = {}): BlockingQuery<T> =>
    maxStaleBlockingQuery(client, read, { ...options, maxStaleMs, onTooStale });
  return wrapped;
}
