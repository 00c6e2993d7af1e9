// Shared by the renderer's benchmarks (not a benchmark itself: bench/run.js runs *.bench.ts only).

import { waitFor } from '@consul-sidecars/core';
import { httpGet, type NginxInstance } from '../test/nginx-harness';

/** Waits until every one of several requests gets `body`: old workers still draining a previous reload are gone. */
export async function settled(nginx: NginxInstance, host: string, body: string): Promise<void> {
  await waitFor(async () => {
    for (let i = 0; i < 5; i++) if ((await httpGet(nginx.port, host, '/', 2000)).body.trim() !== body) return false;
    return true;
  }, { timeoutMs: 15_000, intervalMs: 5, message: `${host} settled on ${body}` });
}

/** Polls nginx until `host` answers with `body`; returns the time it took from `since`. */
export async function untilServed(nginx: NginxInstance, host: string, body: string, since: number): Promise<number> {
  await waitFor(async () => (await httpGet(nginx.port, host, '/', 2000)).body.trim() === body, { timeoutMs: 15_000, intervalMs: 1, message: `${host} answering ${body}` });
  return Date.now() - since;
}

export function wrkFailures(output: string): { requests: number; failed: number; detail: string } {
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { requests, failed: non2xx + socketErrors, detail: `non-2xx ${non2xx}, socket errors ${socket ? socket.slice(1).join('/') : '0'}` };
}

