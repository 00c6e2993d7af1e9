// crashPoint(): SIGKILL at the armed step (first or N-th time), nothing otherwise; bad values name the variable.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { armCrashPoint, CRASH_AT_ENV, crashPoint, parseCrashAt } from '../src';

/** A child that arms from its env, then reaches `a` three times and `b` once, printing each step before it. */
function runChild(crashAt: string | undefined): { signal: NodeJS.Signals | null; status: number | null; stdout: string; stderr: string } {
  const src = join(__dirname, '..', 'src', 'crash-point.ts');
  const script = `const { armCrashPoint, crashPoint } = require(${JSON.stringify(src)});
    armCrashPoint(process.env, ['a', 'b']);
    for (const step of ['a', 'a', 'a', 'b']) { process.stdout.write(step + ' '); crashPoint(step); }
    process.stdout.write('done');`;
  const env = { ...process.env };
  delete env[CRASH_AT_ENV];
  if (crashAt !== undefined) env[CRASH_AT_ENV] = crashAt;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8', timeout: 20_000 });
  return { signal: r.signal, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('core/crash-point', () => {
  const cases: Array<[string | undefined, { name: string; nth: number } | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['registrator.after-register', { name: 'registrator.after-register', nth: 1 }],
    ['renderer.after-swap:3', { name: 'renderer.after-swap', nth: 3 }],
  ];
  for (const [value, expected] of cases) {
    it(`reads ${JSON.stringify(value)}`, () => expect(parseCrashAt(value)).to.deep.equal(expected));
  }

  for (const bad of ['a:0', 'a:-1', 'a:x', ':2', 'a b', 'a:1:2']) {
    it(`refuses ${JSON.stringify(bad)}, naming the variable and the value`, () => {
      expect(() => parseCrashAt(bad)).to.throw(`${CRASH_AT_ENV}="${bad}"`).with.property('code', 'ERR_CONFIG');
    });
  }

  it('refuses a name outside the daemon\'s catalogue', () => {
    expect(() => parseCrashAt('registrator.after-regsiter', ['registrator.after-register'])).to.throw('names no crash point of this daemon');
  });

  it('does nothing when nothing is armed, or another point is', () => {
    armCrashPoint({});
    crashPoint('a');
    armCrashPoint({ [CRASH_AT_ENV]: 'other' });
    crashPoint('a');
    armCrashPoint({});
  });

  it('kills the process with SIGKILL at the first reach of the armed point', () => {
    const r = runChild('a');
    expect(r.signal, r.stderr).to.equal('SIGKILL');
    expect(r.stdout).to.equal('a ');
    expect(r.stderr).to.contain('"crashPoint":"a"');
  });

  it('with name:N, at the N-th reach', () => {
    const r = runChild('a:3');
    expect(r.signal, r.stderr).to.equal('SIGKILL');
    expect(r.stdout).to.equal('a a a ');
  });

  it('runs to the end when unarmed, or when the point is reached fewer times than N', () => {
    for (const value of [undefined, 'a:4']) {
      const r = runChild(value);
      expect(r.signal, r.stderr).to.equal(null);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.equal('a a a b done');
    }
  });
});
