// What the data functions of one render share: the data source, and the record of what the template used,
// what had no data yet, and what consul-template would keep blocking on.

import { goDependencyKey, type GoData, type GoDataSource, type GoDependency, type HealthService } from '../data-source';
import type { GoFunction } from '../exec';
import type { GoValue } from '../values';

export interface RenderContext {
  source: GoDataSource;
  /** Every dependency called, by key. */
  used: Map<string, GoDependency>;
  /** Keys with no answer yet. */
  missing: Set<string>;
  /** Keys that answered, but consul-template would still not render: `key` of an absent key, safeLs/safeTree of an empty prefix. */
  blockedOn: Set<string>;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
  /** The renderer's no-reload mode: where `pushUpstream` hands an upstream's instances (throws to refuse them). */
  pushUpstream?: (upstream: string, services: HealthService[]) => void;
}

/** Records `dep` and returns its answer, or undefined (recorded missing) when nothing arrived yet. */
export function recall(ctx: RenderContext, dep: GoDependency): GoData | undefined {
  const key = goDependencyKey(dep);
  ctx.used.set(key, dep);
  const answer = ctx.source.lookup(dep);
  if (!answer) {
    ctx.missing.add(key);
    return undefined;
  }
  if (answer.kind !== dep.kind) throw new Error(`data source answered ${dep.kind} query ${key} with ${answer.kind} data`);
  return answer;
}

export function block(ctx: RenderContext, dep: GoDependency): void {
  ctx.blockedOn.add(goDependencyKey(dep));
}

export type FunctionTable = Map<string, GoFunction>;

export const fixed = (n: number, call: (args: GoValue[]) => GoValue): GoFunction => ({ arity: { min: n, max: n }, call });
export const ranged = (min: number, max: number, call: (args: GoValue[]) => GoValue): GoFunction => ({ arity: { min, max }, call });
export const variadic = (min: number, call: (args: GoValue[]) => GoValue): GoFunction => ({ arity: { min }, call });
