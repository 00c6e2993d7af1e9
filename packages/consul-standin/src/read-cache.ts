// Serialised answers of reads, kept for the state they were built from: identical reads between two writes (two
// renderers and f5-sync waking on one change) cost one build and one serialisation instead of one each.
// Every entry belongs to the store's current generation; the first lookup after a change drops them all, since
// no later read can be answered from an older state. Bounded in entries and bytes, least recently used first out.

export interface ReadCacheLimits {
  /** 0: nothing is kept. */
  maxEntries: number;
  maxBytes: number;
}

export interface CachedAnswer {
  /** The X-Consul-Index the body was built at; part of what a hit must match. */
  readonly index: number;
  readonly body: Buffer;
}

export interface ReadCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

export class ReadCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private generation = -1;
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly limits: ReadCacheLimits) {}

  get enabled(): boolean {
    return this.limits.maxEntries > 0 && this.limits.maxBytes > 0;
  }

  /** The body of `key` built at the state's generation and this index, else the one `build` makes now (kept if it fits). */
  answer(key: string, generation: () => number, index: number, build: () => Buffer): Buffer {
    if (!this.enabled) return build();
    const at = generation();
    this.moveTo(at);
    const cached = this.entries.get(key);
    if (cached && cached.index === index) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.body;
    }
    this.misses++;
    const body = build();
    // build() only reads the state; a change inside it would be a bug, and its answer is not kept then.
    if (generation() !== at) return body;
    this.store(key, { index, body });
    return body;
  }

  stats(): ReadCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }

  private moveTo(generation: number): void {
    if (generation === this.generation) return;
    this.entries.clear();
    this.bytes = 0;
    this.generation = generation;
  }

  private store(key: string, answer: CachedAnswer): void {
    const size = answer.body.length + key.length;
    if (size > this.limits.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.body.length + key.length;
    }
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size < this.limits.maxEntries && this.bytes + size <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length + oldest.length;
    }
    this.entries.set(key, answer);
    this.bytes += size;
  }
}
