// A copy-on-write overlay on a Map: a write's draft costs what the write touches, not the size of the box.
//
// The draft keeps its changes beside the base map (overrides in place, removals, additions in order) and
// settle() replays them onto the base. Until then the base is untouched, so a failed write leaves nothing.
// Iteration order is exactly what a copied Map would give: base order without removals, overridden records
// in their place, new keys (and removed-then-re-added ones) at the end in insertion order.
// A record is deep-copied the first time it is fetched with get(), which is how every mutation reaches a
// record; iteration hands out the shared base records and must stay read-only.

export class DraftMap<K, V> implements Map<K, V> {
  /** Base keys whose record this draft replaced (a copy made by get(), or a set()). */
  private readonly overrides = new Map<K, V>();
  /** Base keys this draft deleted. */
  private readonly removed = new Set<K>();
  /** Keys new to this draft, in insertion order (a removed base key set again lands here, at the end). */
  private readonly added = new Map<K, V>();

  constructor(private readonly base: Map<K, V>) {}

  get size(): number {
    return this.base.size - this.removed.size + this.added.size;
  }

  get [Symbol.toStringTag](): string {
    return 'DraftMap';
  }

  private inBase(key: K): boolean {
    return !this.removed.has(key) && this.base.has(key);
  }

  has(key: K): boolean {
    return this.added.has(key) || this.inBase(key);
  }

  get(key: K): V | undefined {
    if (this.added.has(key)) return this.added.get(key);
    if (!this.inBase(key)) return undefined;
    if (this.overrides.has(key)) return this.overrides.get(key);
    const copy = structuredClone(this.base.get(key) as V);
    this.overrides.set(key, copy);
    return copy;
  }

  set(key: K, value: V): this {
    if (this.added.has(key) || !this.inBase(key)) this.added.set(key, value);
    else this.overrides.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.added.delete(key)) return true;
    if (!this.inBase(key)) return false;
    this.removed.add(key);
    this.overrides.delete(key);
    return true;
  }

  clear(): void {
    for (const key of this.base.keys()) this.removed.add(key);
    this.overrides.clear();
    this.added.clear();
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.base) {
      if (this.removed.has(key)) continue;
      yield [key, this.overrides.has(key) ? (this.overrides.get(key) as V) : value];
    }
    yield* this.added;
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  /** Replays the draft's changes onto the base map and returns it (now holding the draft's content). */
  settle(): Map<K, V> {
    for (const key of this.removed) this.base.delete(key);
    for (const [key, value] of this.overrides) this.base.set(key, value);
    for (const [key, value] of this.added) this.base.set(key, value);
    return this.base;
  }
}

/** The base map of a draft, or a plain map created inside the draft, as the map the live config keeps. */
export function settleMap<K, V>(map: Map<K, V>): Map<K, V> {
  return map instanceof DraftMap ? map.settle() : map;
}
