// The periodic hint: a cron schedule (5 fields, or 6 with seconds; cron-schedule.ts) that asks for a pass.

import { cronMatches, parseCron, type CronSchedule } from './cron-schedule';

/** Validates a cron expression and returns it (a ConfigError naming `schedule` when invalid). */
export function validateSchedule(expression: string): string {
  parseCron(expression);
  return expression;
}

export interface CronTrigger {
  readonly schedule: CronSchedule;
  stop(): void;
}

export interface CronTriggerOptions {
  now?: () => number;
}

/**
 * Wakes at each whole second and asks for a pass when that local second matches: one timer a second, re-armed from
 * the clock each time, so a DST change or a clock step shifts the next tick, never the schedule (a second the clock
 * skips is not run late; after a step back the repeated seconds run again: passes are idempotent).
 */
export function startCronTrigger(expression: string, onTick: () => void, options: CronTriggerOptions = {}): CronTrigger {
  const schedule = parseCron(expression);
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let last = Math.floor(now() / 1000);
  const arm = (): void => {
    if (stopped) return;
    const at = now();
    // A few ms past the boundary, so the tick reads the second it is for.
    timer = setTimeout(tick, 1000 - (at % 1000) + 5);
  };
  const tick = (): void => {
    const second = Math.floor(now() / 1000);
    if (second !== last) {
      last = second;
      if (cronMatches(schedule, new Date(second * 1000))) onTick();
    }
    arm();
  };
  arm();
  return {
    schedule,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
