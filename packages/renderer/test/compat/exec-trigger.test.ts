import { expect } from 'chai';
import { ExecTrigger, type ExecAction, type TemplatePassOutcome } from '../../src/compat';

type Pass = [TemplatePassOutcome['result'], TemplatePassOutcome['result']];

/** Two templates (a, b); each row is one render pass and the action consul-template's runner takes after it. */
const cases: [string, Pass[], ExecAction[]][] = [
  ['starts after the first pass where both have rendered, without also reloading', [['written', 'written'], ['written', 'pending']], ['start', 'reload']],
  ['waits for every template', [['written', 'pending'], ['pending', 'pending'], ['pending', 'written']], ['none', 'none', 'start']],
  ['a file already on disk with the same bytes counts as rendered (GH-1000)', [['unchanged', 'unchanged']], ['start']],
  ['after the start, only a pass that wrote something reloads', [['written', 'unchanged'], ['unchanged', 'unchanged'], ['pending', 'pending'], ['unchanged', 'written']], ['start', 'none', 'none', 'reload']],
  ['a held or refused render is not a change', [['written', 'written'], ['pending', 'unchanged']], ['start', 'none']],
];

describe('compat: exec trigger (when the child starts and reloads)', () => {
  for (const [name, passes, want] of cases) {
    it(name, () => {
      const trigger = new ExecTrigger(['a', 'b']);
      const got = passes.map(([a, b]) => trigger.afterPass([{ id: 'a', result: a }, { id: 'b', result: b }]));
      expect(got).to.deep.equal(want);
    });
  }
  it('a pass may carry only the templates it ran', () => {
    const trigger = new ExecTrigger(['a', 'b']);
    expect(trigger.afterPass([{ id: 'a', result: 'written' }])).to.equal('none');
    expect(trigger.afterPass([{ id: 'b', result: 'unchanged' }])).to.equal('start');
    expect(trigger.childStarted).to.equal(true);
  });
});
