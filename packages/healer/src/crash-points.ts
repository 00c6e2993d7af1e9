// The catalogue of the healer's crash points: the act steps a test can kill it at (CONSUL_SIDECARS_CRASH_AT, core's crashPoint).

export const CRASH_POINTS = {
  /** Before a failed compose container is removed (one per container: `:N` for the N-th). */
  beforeContainerRemove: 'healer.before-container-remove',
  afterContainerRemove: 'healer.after-container-remove',
  /** Before `docker-compose up --scale` is started. */
  beforeComposeRun: 'healer.before-compose-run',
  /** Compose has exited with success; the healer has not yet recorded what it expects from it. */
  afterComposeRun: 'healer.after-compose-run',
  /** Before an unhealthy swarm task's container is removed on its node (swarm starts a new task in its slot). */
  beforeTaskReplace: 'healer.before-task-replace',
  afterTaskReplace: 'healer.after-task-replace',
  /** Before a swarm service update (replicas raised, or a forced update) is sent to the manager. */
  beforeSwarmUpdate: 'healer.before-swarm-update',
  afterSwarmUpdate: 'healer.after-swarm-update',
  /** Before the leader's memory (expectations, backoffs, breakers) is written to Consul KV after a pass. */
  beforeExpectationWrite: 'healer.before-expectation-write',
  afterExpectationWrite: 'healer.after-expectation-write',
} as const;

export const CRASH_POINT_NAMES: readonly string[] = Object.values(CRASH_POINTS);
