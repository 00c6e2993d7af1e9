// Every backend's `scale` section as one tagged union, and the dispatch from a target's `kind` to its codec.

import { composeTargetCodec, type ComposeTarget } from './compose/compose-target';
import { swarmTargetCodec, type SwarmTarget } from './swarm/swarm-target';
import type { TargetIdentity, TargetProblem } from './target-codec';

/** `scale` of a desired service; `kind` names the backend (absent in the file: "compose"). */
export type ScaleTarget = ComposeTarget | SwarmTarget;
export type BackendKind = ScaleTarget['kind'];

/** The backend a desired file gets when `scale.kind` is absent (every file written before backends had names). */
export const DEFAULT_BACKEND_KIND: BackendKind = 'compose';

/** Codecs of the kinds besides the default, each chosen when `scale.kind` names it. */
const OTHER_KINDS: Array<{ kind: string; schema: object }> = [swarmTargetCodec];

/** The schema of `scale`: the default kind's, or another kind's when `kind` names it (if/then chains, one per kind). */
export function scaleTargetSchema(): object {
  return OTHER_KINDS.reduceRight<object>(
    (otherwise, codec) => ({ if: { required: ['kind'], properties: { kind: { const: codec.kind } } }, then: codec.schema, else: otherwise }),
    composeTargetCodec.schema,
  );
}

export function resolveScaleTarget(target: ScaleTarget, context: { baseDir: string; field: string }): ScaleTarget {
  switch (target.kind) {
    case 'compose':
      return composeTargetCodec.resolve(target, context);
    case 'swarm':
      return swarmTargetCodec.resolve(target, context);
  }
}

export function scaleTargetIdentity(target: ScaleTarget): TargetIdentity {
  switch (target.kind) {
    case 'compose':
      return composeTargetCodec.identity(target);
    case 'swarm':
      return swarmTargetCodec.identity(target);
  }
}

export function checkScaleTarget(target: ScaleTarget): TargetProblem[] {
  switch (target.kind) {
    case 'compose':
      return composeTargetCodec.check(target);
    case 'swarm':
      return swarmTargetCodec.check(target);
  }
}
