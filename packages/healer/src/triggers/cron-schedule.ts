// The schedule's cron expression, parsed once into the values each field allows, and matched against a local time.
//
// The healer's own, not node-cron: node-cron builds every second's date parts through Intl.DateTimeFormat, which
// pages in ICU's data (~6 MiB of file-backed RSS) and allocates each second, for what is a periodic hint.
// Accepted: 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); per field a list of `*`,
// `n`, `a-b` (a range may wrap, `fri-mon`), each with an optional `/step`; `?` for either day field; month and
// weekday names (`jan`, `monday`); 7 is Sunday as 0; the nicknames @yearly @annually @monthly @weekly @daily
// @midnight @hourly. Every field must match, day-of-month and day-of-week alike (node-cron's rule, which this
// keeps; Vixie cron ORs the two day fields when both are restricted). Quartz's L, W and # are refused by name.

import { ConfigError } from '@consul-sidecars/core';

export interface CronSchedule {
  /** The expression as given. */
  expression: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  /** 1-12. */
  months: ReadonlySet<number>;
  /** 0-6, Sunday 0. */
  daysOfWeek: ReadonlySet<number>;
}

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name stands for this number (months count from 1). */
  nameBase?: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const FIELDS: readonly FieldRule[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  // 7 is Sunday too: parsed within 0-7, folded to 0 after.
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function invalid(expression: string, why: string): ConfigError {
  return new ConfigError(`invalid --schedule "${expression}": ${why} (a cron expression, e.g. "*/1 * * * *")`, { field: 'schedule', value: expression });
}

/** One bound of a range: a number within the field, or (month, weekday) a name. */
function valueOf(text: string, rule: FieldRule, fail: (why: string) => ConfigError): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < rule.min || n > rule.max) throw fail(`${n} is outside ${rule.min}-${rule.max}`);
    return n;
  }
  const lower = text.toLowerCase();
  const names = rule.names === MONTHS ? [MONTHS, FULL_MONTHS] : rule.names === WEEKDAYS ? [WEEKDAYS, FULL_WEEKDAYS] : [];
  for (const list of names) if (list.includes(lower)) return list.indexOf(lower) + (rule.nameBase ?? 0);
  if (/[lw#]/i.test(text)) throw fail("L, W and # (Quartz's last, weekday and nth) are not supported");
  throw fail(`"${text}" is not a number${rule.names ? ' or a name' : ''}`);
}

function parseField(text: string, rule: FieldRule, expression: string): Set<number> {
  const fail = (why: string) => invalid(expression, `the ${rule.name} field "${text}": ${why}`);
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw fail(`"${item}" is not "*", "n" or "a-b", with an optional "/step"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw fail(`the step "${stepText}" is not a whole number >= 1`);
      step = Number(stepText);
    }
    const size = rule.max - rule.min + 1;
    let first: number;
    let span: number;
    if (range === '*' || range === '?') {
      first = rule.min;
      span = size - 1;
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) throw fail(`"${range}" is not a range a-b`);
      first = valueOf(bounds[0], rule, fail);
      // `n/step` runs from n to the field's end, as `n-max/step`.
      const last = bounds.length === 2 ? valueOf(bounds[1], rule, fail) : stepText !== undefined ? rule.max : first;
      // A range that wraps (fri-mon, 22-2) runs past the field's end to its start.
      span = (((last - first) % size) + size) % size;
    }
    for (let offset = 0; offset <= span; offset += step) out.add(rule.min + ((first - rule.min + offset) % size));
  }
  return out;
}

/** Parses and validates a cron expression; an invalid one is a ConfigError naming the field (`schedule`) and the value. */
export function parseCron(expression: string): CronSchedule {
  const text = NICKNAMES[expression.trim().toLowerCase()] ?? expression;
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) throw invalid(expression, `${parts.length} fields (5, or 6 with seconds first)`);
  const fields = parts.length === 5 ? ['0', ...parts] : parts;
  for (const [i, field] of fields.entries()) {
    if (field === '?' && i !== 3 && i !== 5) throw invalid(expression, `"?" is for the day fields only, not the ${FIELDS[i].name}`);
  }
  const [seconds, minutes, hours, daysOfMonth, months, weekdays] = fields.map((field, i) => parseField(field, FIELDS[i], expression));
  const daysOfWeek = new Set([...weekdays].map((d) => d % 7));
  return { expression, seconds, minutes, hours, daysOfMonth, months, daysOfWeek };
}

/** True when `date`'s local second is one the schedule names. */
export function cronMatches(schedule: CronSchedule, date: Date): boolean {
  return schedule.seconds.has(date.getSeconds())
    && schedule.minutes.has(date.getMinutes())
    && schedule.hours.has(date.getHours())
    && schedule.daysOfMonth.has(date.getDate())
    && schedule.months.has(date.getMonth() + 1)
    && schedule.daysOfWeek.has(date.getDay());
}
