// The scaling-backend seam: what the healer needs from whatever runs a service's containers (docker-compose first).

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** One container backing a service, in any state, as its backend reports it. */
export interface ServiceContainer {
  id: string;
  name: string;
  /** The backend's ordinal for it (compose's container-number, a swarm task's slot); 0 when absent. */
  slot: number;
  state: ContainerState;
  /** Docker HEALTHCHECK status when the image has one. */
  dockerHealth?: 'starting' | 'healthy' | 'unhealthy';
  /** Last start (or creation, for never-started containers), ms since epoch: the grace period counts from it. */
  startedAtMs: number;
  /** The host (Consul node name) it runs on, for a backend that spans several hosts. */
  host?: string;
}

/** Where `scale` adds containers on a backend that spans hosts (the planner's spread; see plan/placement.ts). */
export interface ScaleOptions {
  timeoutMs: number;
  placements?: Array<{ host: string; total: number; add: number }>;
}

/** What a scale call did; a failure is named so the planner can tell "retry later" from "would fail again". */
export type ScaleResult =
  | {
      ok: true;
      /** Nothing was changed: the backend already runs `total` or more (a swarm service's replicas). No action was taken. */
      unchanged?: boolean;
    }
  | {
      ok: false;
      /** A short stable name (e.g. image-missing, timeout), used as a metric label and in the breaker's reason. */
      failure: string;
      /** Would fail again the same way if retried unchanged: opens the breaker at once. */
      deterministic: boolean;
      /** The backend's own last words (a few lines of output), possibly empty. */
      output: string;
      /** One line for the alert: `output`, or what is known when there is none. */
      message: string;
    };

/**
 * One way of running a service's containers. `T` is the backend's part of the desired state (`scale` with its
 * `kind`). Every method must be safe to repeat: the healer re-observes and may call again after a crash.
 */
export interface ScalingBackend<T extends { kind: string }> {
  readonly kind: T['kind'];
  /**
   * True when the backend itself replaces the containers of a node that died (swarm mode): the planner then waits
   * for it (an instance whose Consul node is critical counts as starting) instead of scaling on top.
   */
  readonly reschedulesLostNodes?: boolean;
  /** The containers now backing the target, in any state, ordered by slot. */
  observe(target: T): Promise<ServiceContainer[]>;
  /** Removes failed containers by id; one already gone counts as removed. */
  remove(target: T, ids: readonly string[]): Promise<void>;
  /** Brings the target to `total` containers, never recreating the ones it keeps. */
  scale(target: T, total: number, options: ScaleOptions): Promise<ScaleResult>;
  /** The hosts (Consul node names) the target spans, whose node health the reader reads; none: one host. */
  hostsOf?(target: T): string[];
  /** What `scale` runs, in the backend's own words (the act report and the audit log). */
  describeScale(target: T, total: number): string;
}

/** A backend with its target fixed: what observe and act hold for one service. */
export interface BoundBackend {
  readonly kind: string;
  readonly reschedulesLostNodes: boolean;
  observe(): Promise<ServiceContainer[]>;
  remove(ids: readonly string[]): Promise<void>;
  scale(total: number, options: ScaleOptions): Promise<ScaleResult>;
  describeScale(total: number): string;
  hosts: string[];
}

export function bindBackend<T extends { kind: string }>(backend: ScalingBackend<T>, target: T): BoundBackend {
  return {
    kind: backend.kind,
    reschedulesLostNodes: backend.reschedulesLostNodes === true,
    observe: () => backend.observe(target),
    remove: (ids) => backend.remove(target, ids),
    scale: (total, options) => backend.scale(target, total, options),
    describeScale: (total) => backend.describeScale(target, total),
    hosts: backend.hostsOf?.(target) ?? [],
  };
}
