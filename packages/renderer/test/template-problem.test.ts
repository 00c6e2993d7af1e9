// What renderer_template_problem says for each report: the alert rules (deploy/prometheus) fire on these series.

import { expect } from 'chai';
import { problemOf } from '../src/template-state';

describe('renderer: the problem a template report shows', () => {
  const cases: Array<[Parameters<typeof problemOf>[0], string | undefined, ReturnType<typeof problemOf>]> = [
    ['ok', 'changed', 'none'],
    ['ok', 'unchanged', 'none'],
    ['pending', 'waiting-for-dependencies', 'none'],
    ['held', 'empty-upstream', 'guard-held'],
    ['held', 'below-min-instances', 'guard-held'],
    ['held', 'sudden-drop', 'guard-held'],
    ['failed', 'validation-failed', 'validation-failed'],
    ['failed', 'reload-failed', 'reload-failed'],
    ['failed', 'push-failed', 'push-failed'],
    ['failed', 'io-error', 'io-error'],
    ['failed', 'known-bad', 'keep'],
    ['error', 'lua-check-failed', 'lua-check-failed'],
    ['error', 'consul-payload', 'consul-payload'],
    ['error', 'unknown-datacenter', 'unknown-datacenter'],
    ['error', 'template web.njk: {{ i.Adress }} is undefined', 'render-error'],
  ];
  for (const [status, reason, problem] of cases) {
    it(`${status} / ${reason} -> ${problem}`, () => expect(problemOf(status, reason)).to.equal(problem));
  }
});
