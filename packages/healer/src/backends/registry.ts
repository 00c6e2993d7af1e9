// The backends a healer holds, one per kind, and the dispatch from a service's `scale` to its bound backend.

import type { Logger } from 'pino';
import { ComposeBackend } from './compose/compose-backend';
import type { ScaleTarget } from './scale-target';
import { SwarmBackend } from './swarm/swarm-backend';
import { bindBackend, type BoundBackend } from './scaling-backend';

/** One backend per `scale.kind` the desired state may name. */
export interface ScalingBackends {
  compose: ComposeBackend;
  swarm: SwarmBackend;
}

export function defaultBackends(logger?: Logger): ScalingBackends {
  return { compose: new ComposeBackend({ logger }), swarm: new SwarmBackend({ logger }) };
}

export function backendFor(backends: ScalingBackends, target: ScaleTarget): BoundBackend {
  switch (target.kind) {
    case 'compose':
      return bindBackend(backends.compose, target);
    case 'swarm':
      return bindBackend(backends.swarm, target);
  }
}
