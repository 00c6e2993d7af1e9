// Adapts a `consul` package read method into a BlockingQuery the watcher can drive.

import type { BlockingQuery } from './blocking-watcher';
import { callWithResponse } from './consul-client';

type ConsulMethod = (opts: Record<string, unknown>) => Promise<unknown>;

/**
 * @deprecated Use `client.blockingQuery(healthServiceRead('web', { passing: true }))` (typed, no casts).
 * `consulBlockingQuery(consul.health.service.bind(consul.health), { service: 'web', passing: true })`
 */
export function consulBlockingQuery<T>(method: ConsulMethod, options: Record<string, unknown>, normalise?: (raw: unknown) => T): BlockingQuery<T> {
  return async ({ index, wait, timeoutMs, signal }) => {
    const request: Record<string, unknown> = { ...options, timeout: timeoutMs };
    if (index !== undefined) {
      request.index = index;
      request.wait = wait;
    }
    const response = await callWithResponse<unknown>(method, request, signal);
    return { data: normalise ? normalise(response.data) : (response.data as T), index: response.index };
  };
}
