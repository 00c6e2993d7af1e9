// Judging an earlier action's expectation on this pass's assessment: met, expired, in place (adopted), or still awaited.

import type { ServiceAssessment } from './assess';
import type { Expectation } from './memory';

export type ExpectationVerdict =
  /** As many instances pass as the action expected: a success. */
  | 'met'
  /** The deadline passed first: a failure. */
  | 'expired'
  /**
   * Adopted from a dead leader and not met, but the containers it expected are all there: passing or starting, or
   * failing since (one it counted when it acted, or one it made). Live state shows the action's effect, so the
   * planner, which counts starting containers against the shortfall, acts on it without doubling it; neither a success
   * nor a failure.
   */
  | 'in-place'
  | 'awaiting';

/**
 * The containers of this pass that stand for the expected ones: passing, starting, or failing since but not among those
 * it left uncounted. An expectation that did not record them (an older leader's) counts no failing one.
 */
export function expectedPresent(expectation: Expectation, assessment: ServiceAssessment): number {
  if (!expectation.uncounted) return assessment.healthy + assessment.starting;
  const uncounted = new Set(expectation.uncounted);
  return assessment.healthy + assessment.starting + assessment.failed.filter((f) => !uncounted.has(f.container.id)).length;
}

/**
 * Its own leader waits for an expectation to be met (or to expire), since it knows what it did. A successor cannot
 * tell "the action's containers are still coming" from "they came, and something else failed since" by counting
 * passing instances alone, and waiting out the deadline in the second case holds a new failure for up to grace +
 * expectationTimeout after a failover (#16); so an adopted expectation whose containers are present is in place.
 */
export function judgeExpectation(expectation: Expectation, assessment: ServiceAssessment, now: number): ExpectationVerdict {
  if (assessment.healthy >= expectation.healthy) return 'met';
  if (now >= expectation.deadline) return 'expired';
  if (expectation.adopted && expectedPresent(expectation, assessment) >= expectation.healthy) return 'in-place';
  return 'awaiting';
}
