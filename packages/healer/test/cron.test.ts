// The schedule: which cron expressions parse, which local seconds they name, and the trigger that ticks on them.

import { expect } from 'chai';
import { ConfigError, waitFor } from '@consul-sidecars/core';
import { cronMatches, parseCron } from '../src/triggers/cron-schedule';
import { startCronTrigger, validateSchedule } from '../src/triggers/cron-trigger';

/** A local time (the schedule reads local time, as cron does). */
const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);

describe('healer schedule (cron expressions)', () => {
  describe('the values each field allows', () => {
    const cases: Array<[string, keyof ReturnType<typeof parseCron>, number[]]> = [
      ['* * * * *', 'seconds', [0]],
      ['* * * * * *', 'seconds', Array.from({ length: 60 }, (_, i) => i)],
      ['*/15 * * * *', 'minutes', [0, 15, 30, 45]],
      ['10-20/5 * * * *', 'minutes', [10, 15, 20]],
      ['5/20 * * * *', 'minutes', [5, 25, 45]],
      ['1,2,3-4 * * * *', 'minutes', [1, 2, 3, 4]],
      ['0 22-2 * * *', 'hours', [22, 23, 0, 1, 2]],
      ['0 0 ? * *', 'daysOfMonth', Array.from({ length: 31 }, (_, i) => i + 1)],
      ['0 0 1 jan,Mar,december *', 'months', [1, 3, 12]],
      ['0 0 * * mon-fri', 'daysOfWeek', [1, 2, 3, 4, 5]],
      ['0 0 * * fri-mon', 'daysOfWeek', [5, 6, 0, 1]],
      ['0 0 * * 7', 'daysOfWeek', [0]],
      ['0 0 * * 5-7', 'daysOfWeek', [5, 6, 0]],
      ['0 0 * * sunday,saturday', 'daysOfWeek', [0, 6]],
      ['0 0 * * */2', 'daysOfWeek', [0, 2, 4, 6]],
      ['@hourly', 'minutes', [0]],
      ['  0   12  *  *  *  ', 'hours', [12]],
    ];
    for (const [expression, field, values] of cases) {
      it(`"${expression}" ${field} -> ${values.join(',')}`, () => {
        expect([...(parseCron(expression)[field] as Set<number>)].sort((a, b) => a - b)).to.deep.equal([...values].sort((a, b) => a - b));
      });
    }
  });

  describe('an invalid expression names the field and the value', () => {
    const cases: Array<[string, RegExp]> = [
      ['* * * *', /4 fields \(5, or 6 with seconds first\)/],
      ['* * * * * * *', /7 fields/],
      ['60 * * * *', /the minute field "60": 60 is outside 0-59/],
      ['* 24 * * *', /the hour field "24": 24 is outside 0-23/],
      ['* * 0 * *', /the day of month field "0": 0 is outside 1-31/],
      ['* * * 13 *', /the month field "13": 13 is outside 1-12/],
      ['* * * * 8', /the day of week field "8": 8 is outside 0-7/],
      ['*/0 * * * *', /the step "0" is not a whole number >= 1/],
      ['a * * * *', /"a" is not a number \(a cron expression/],
      ['* * * foo *', /"foo" is not a number or a name/],
      ['* * L * *', /L, W and # .* are not supported/],
      ['* * * * 5#2', /L, W and # .* are not supported/],
      ['? * * * *', /"\?" is for the day fields only, not the minute/],
      ['1-2-3 * * * *', /"1-2-3" is not a range a-b/],
      ['1,,2 * * * *', /"" is not "\*", "n" or "a-b"/],
    ];
    for (const [expression, message] of cases) {
      it(`"${expression}" -> ${message.source}`, () => {
        let caught: unknown;
        try {
          validateSchedule(expression);
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(ConfigError);
        expect((caught as ConfigError).message).to.match(message).and.to.include(`"${expression}"`);
        expect((caught as ConfigError).details).to.deep.include({ field: 'schedule', value: expression });
      });
    }
  });

  describe('the local seconds an expression names', () => {
    const cases: Array<[string, Date, boolean]> = [
      ['* * * * *', at(2026, 3, 4, 10, 11, 0), true],
      ['* * * * *', at(2026, 3, 4, 10, 11, 1), false],
      ['*/5 * * * * *', at(2026, 3, 4, 10, 11, 35), true],
      ['*/5 * * * * *', at(2026, 3, 4, 10, 11, 36), false],
      ['30 9 * * mon-fri', at(2026, 12, 2, 9, 30), true], // a Wednesday
      ['30 9 * * mon-fri', at(2026, 12, 5, 9, 30), false], // a Saturday
      ['0 0 1 * *', at(2026, 2, 1), true],
      ['0 0 1 * *', at(2026, 2, 2), false],
      // Both day fields must match (node-cron's rule): the 13th only when it is a Friday.
      ['0 0 13 * fri', at(2026, 3, 13), true],
      ['0 0 13 * fri', at(2026, 4, 13), false],
      ['0 0 13 * fri', at(2026, 3, 20), false],
      ['@yearly', at(2027, 1, 1), true],
      ['@yearly', at(2027, 1, 2), false],
    ];
    for (const [expression, date, matches] of cases) {
      it(`"${expression}" at ${date.toString().slice(0, 24)} -> ${matches}`, () => {
        expect(cronMatches(parseCron(expression), date)).to.equal(matches);
      });
    }
  });

  it('the trigger ticks once a second on "* * * * * *" and never after stop', async function () {
    this.timeout(10_000);
    let ticks = 0;
    const trigger = startCronTrigger('* * * * * *', () => ticks++);
    try {
      await waitFor(() => ticks >= 2, { timeoutMs: 5000, intervalMs: 20, message: 'two ticks' });
    } finally {
      trigger.stop();
    }
    const stoppedAt = ticks;
    // No later tick: wait past the next second's boundary on the clock, not a fixed sleep of the test's choosing.
    const next = Math.floor(Date.now() / 1000) + 2;
    await waitFor(() => Date.now() / 1000 > next, { timeoutMs: 5000, intervalMs: 50 });
    expect(ticks).to.equal(stoppedAt);
  });

  it('a tick reads the clock: a minute schedule fires at the second the clock names, not before', async function () {
    this.timeout(10_000);
    // A clock at 10:11:58.5 local: "* * * * *" fires when it reads 10:12:00.
    const start = at(2026, 3, 4, 10, 11, 58).getTime() + 500;
    const began = Date.now();
    const fired: number[] = [];
    const now = () => start + (Date.now() - began);
    const trigger = startCronTrigger('* * * * *', () => fired.push(now()), { now });
    try {
      await waitFor(() => fired.length === 1, { timeoutMs: 5000, intervalMs: 20, message: 'the minute tick' });
    } finally {
      trigger.stop();
    }
    expect(new Date(fired[0]).getSeconds()).to.equal(0);
    expect(new Date(fired[0]).getMinutes()).to.equal(12);
  });
});
