// The catalogue of the renderer's crash points: the act steps a test can kill it at (CONSUL_SIDECARS_CRASH_AT, core's crashPoint).

export const CRASH_POINTS = {
  /** Every candidate of the batch is written (hidden, next to its destination); nothing is live yet. */
  afterCandidateWrite: 'renderer.after-candidate-write',
  /** A validate command has been started and is running. */
  duringValidate: 'renderer.during-validate',
  /** Every file of the batch is at its live path; nginx has not been reloaded. */
  afterSwap: 'renderer.after-swap',
  /** Right before the reload command starts (backups written). */
  beforeReload: 'renderer.before-reload',
  /** The reload command succeeded; the journal of the batch is not cleared yet. */
  afterReload: 'renderer.after-reload',
  /** nginx took a push (200) that the renderer has not recorded yet. */
  duringPush: 'renderer.during-push',
} as const;

export const CRASH_POINT_NAMES: readonly string[] = Object.values(CRASH_POINTS);
