// Observe Consul for pool declarations: one blocking query on /v1/catalog/services (every service and its tags, all
// instances whatever their health), and a read of /v1/catalog/service/<svc> for the meta of the services that may
// declare by meta. Emits what every declaring service carries; parsing and deciding are declared-pools.ts'.

import { EventEmitter } from 'node:events';
import { BlockingWatcher, consulBlockingQuery, errorMessage, mapLimit, parseCatalogService, parseCatalogServices, type ConsulClient, type Logger } from '@consul-sidecars/core';
import type { DeclarationKeys, ServiceDeclarationInput } from './declared-pools';
import { watcherOptions, type ConsulWatchOptions } from './consul-watch-options';

interface DeclarationEvents {
  /** A new catalog answer, reduced to the services that carry a declaration key (in tags or meta). */
  change: [inputs: ServiceDeclarationInput[]];
  recovered: [];
  unavailable: [reason: string, consecutiveErrors: number];
}

type CatalogServices = ReturnType<typeof parseCatalogServices>;

/**
 * Which services' entries must be read for their meta: those that carry a declaration key in their tags, those that
 * declared by meta last time (to see it change or go), and those new or whose tags changed since the last answer
 * (to find a new meta declaration; a meta-only change of an existing service with unchanged tags is seen at its
 * next re-registration, which is how registrator changes meta).
 */
export function servicesToRead(now: CatalogServices, before: ReadonlyMap<string, string[]> | undefined, declaringByMeta: ReadonlySet<string>, keys: DeclarationKeys): string[] {
  const carries = (tags: readonly string[]) => tags.some((t) => t.startsWith(`${keys.poolKey}=`) || t.startsWith(`${keys.virtualKey}=`));
  return now
    .filter((service) => {
      if (carries(service.Tags) || declaringByMeta.has(service.Name)) return true;
      const previous = before?.get(service.Name);
      return previous === undefined || previous.join('\u0000') !== service.Tags.join('\u0000');
    })
    .map((service) => service.Name);
}

export class CatalogDeclarations extends EventEmitter<DeclarationEvents> {
  private readonly watcher: BlockingWatcher<CatalogServices>;
  private lastTags?: Map<string, string[]>;
  /** The meta of every instance of services read, by service (kept when a read fails: the last good state). */
  private readonly metas = new Map<string, Array<Record<string, string>>>();
  private generation = 0;
  private answered = false;
  private readonly firstAnswer: Promise<void>;
  private resolveFirst!: () => void;

  constructor(private readonly consul: ConsulClient, private readonly keys: DeclarationKeys, private readonly logger?: Logger, watch: ConsulWatchOptions = {}) {
    super();
    this.firstAnswer = new Promise((resolve) => (this.resolveFirst = resolve));
    const list = (opts: Record<string, unknown>): Promise<unknown> => consul.catalog.service.list(opts as never);
    this.watcher = new BlockingWatcher<CatalogServices>(consulBlockingQuery(list, {}, parseCatalogServices), { name: 'catalog:services', logger, ...watcherOptions(watch) });
    this.watcher.on('change', (services) => void this.onServices(services));
    this.watcher.on('error', (err, consecutiveErrors) => this.emit('unavailable', `consul query for the catalog's services failed: ${errorMessage(err)}`, consecutiveErrors));
    this.watcher.on('recovered', () => this.emit('recovered'));
  }

  start(): this {
    this.watcher.start();
    return this;
  }

  stop(): Promise<void> {
    this.generation++;
    return this.watcher.stop();
  }

  /** True once a catalog answer has been turned into declarations. */
  get ready(): boolean {
    return this.answered;
  }

  /** Resolves at the first declarations (or at the deadline, whichever is first). */
  async settled(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.firstAnswer, deadline]);
    clearTimeout(timer);
    return this.answered;
  }

  get requests(): number {
    return this.watcher.requests;
  }

  private async onServices(services: CatalogServices): Promise<void> {
    const generation = ++this.generation;
    const declaringByMeta = new Set([...this.metas].filter(([, metas]) => metas.some((m) => m[this.keys.poolKey] !== undefined || m[this.keys.virtualKey] !== undefined)).map(([s]) => s));
    const toRead = servicesToRead(services, this.lastTags, declaringByMeta, this.keys);
    const failed = new Set<string>();
    await mapLimit(toRead, 4, async (service) => {
      try {
        const entries = parseCatalogService(await this.consul.catalog.service.nodes({ service } as never));
        this.metas.set(service, entries.map((entry) => entry.ServiceMeta));
      } catch (err) {
        failed.add(service);
        this.logger?.warn({ service, err: errorMessage(err) }, "reading a service's catalog entries for its declaration failed; its last known meta is kept, read again on the next answer");
      }
    });
    if (generation !== this.generation) return;
    const present = new Set(services.map((s) => s.Name));
    for (const service of [...this.metas.keys()]) if (!present.has(service)) this.metas.delete(service);
    // A service whose read failed counts as new next time, so it is read again.
    this.lastTags = new Map(services.filter((s) => !failed.has(s.Name)).map((s) => [s.Name, s.Tags]));
    const inputs: ServiceDeclarationInput[] = [];
    for (const service of services) {
      const metas = (this.metas.get(service.Name) ?? []).filter((m) => m[this.keys.poolKey] !== undefined || m[this.keys.virtualKey] !== undefined);
      const tagged = service.Tags.some((t) => t.startsWith(`${this.keys.poolKey}=`) || t.startsWith(`${this.keys.virtualKey}=`));
      if (tagged || metas.length > 0) inputs.push({ service: service.Name, tags: service.Tags, metas });
    }
    // Only services that declare keep their meta: the rest need not be held in memory.
    for (const service of [...this.metas.keys()]) if (!inputs.some((i) => i.service === service)) this.metas.set(service, []);
    this.answered = true;
    this.resolveFirst();
    this.emit('change', inputs);
  }
}
