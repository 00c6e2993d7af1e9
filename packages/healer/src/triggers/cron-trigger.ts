// The periodic hint: a cron schedule (5 fields, or 6 with seconds) that asks for a pass.

import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError } from '@consul-sidecars/core';

/** Validates a cron expression and returns it. */
export function validateSchedule(expression: string): string {
  if (!cron.validate(expression)) throw new ConfigError(`invalid --schedule "${expression}" (a cron expression, e.g. "*/1 * * * *")`, { field: 'schedule', value: expression });
  return expression;
}

export function startCronTrigger(expression: string, onTick: () => void): ScheduledTask {
  return cron.schedule(validateSchedule(expression), () => onTick(), { name: 'healer-schedule', noOverlap: true });
}
