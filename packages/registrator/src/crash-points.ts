// The catalogue of registrator's crash points: the act steps a test can kill it at (CONSUL_SIDECARS_CRASH_AT, core's crashPoint).

export const CRASH_POINTS = {
  /** Before the agent is asked to register (or update) a service. */
  beforeRegister: 'registrator.before-register',
  /** The agent has the registration; registrator's own view does not yet. */
  afterRegister: 'registrator.after-register',
  beforeDeregister: 'registrator.before-deregister',
  afterDeregister: 'registrator.after-deregister',
  /** Before a role key is bound to its container or deleted (KV, check-and-set). */
  beforeRoleWrite: 'registrator.before-role-write',
  afterRoleWrite: 'registrator.after-role-write',
} as const;

export const CRASH_POINT_NAMES: readonly string[] = Object.values(CRASH_POINTS);
