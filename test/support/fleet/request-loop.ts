// A bounded request loop through the edge nginx for the whole of an event: one GET after another (a new
// connection each), each recorded with its time, so a test can count the failures inside and after a window.

import type { Edge } from './edge';

export interface RequestSample {
  at: number;
  ok: boolean;
  /** HTTP status, 0 when no answer came. */
  status: number;
  /** The answer's body (trimmed), or the error. */
  body: string;
}

export interface RequestLoop {
  /** Ends the loop and returns every sample. */
  stop(): Promise<RequestSample[]>;
  samples(): readonly RequestSample[];
}

/** Runs until stop(), `maxRequests` or `maxMs`, whichever comes first; `gapMs` between requests. */
export function startRequestLoop(edge: Edge, site: string, options: { maxRequests: number; maxMs: number; gapMs?: number; timeoutMs?: number }): RequestLoop {
  const samples: RequestSample[] = [];
  let stopped = false;
  const started = Date.now();
  const loop = (async () => {
    while (!stopped && samples.length < options.maxRequests && Date.now() - started < options.maxMs) {
      const at = Date.now();
      try {
        const reply = await edge.get(site, options.timeoutMs ?? 2_000);
        samples.push({ at, ok: reply.status === 200, status: reply.status, body: reply.body.trim() });
      } catch (error) {
        samples.push({ at, ok: false, status: 0, body: error instanceof Error ? error.message : String(error) });
      }
      if (options.gapMs) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    }
  })();
  return {
    samples: () => samples,
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** Failed samples in [from, to). */
export function failuresBetween(samples: readonly RequestSample[], from: number, to = Infinity): RequestSample[] {
  return samples.filter((s) => !s.ok && s.at >= from && s.at < to);
}
