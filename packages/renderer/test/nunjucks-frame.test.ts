// nunjucks' Frame.set with its name split cached (src/nunjucks-frame.ts): scoping and loop variables render as
// nunjucks' own does.

import { expect } from 'chai';
import nunjucks from 'nunjucks';
import '../src/nunjucks-frame';

describe('renderer: nunjucks Frame.set with the split cached', () => {
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: true });
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['loop variables', '{% for i in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}', { xs: ['a', 'b'] }, '102truefalse2;211falsetrue2;'],
    ['nested loops keep their own loop', '{% for a in xs %}{% for b in xs %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}', { xs: [1, 2] }, '121|122|'],
    ['a set inside if writes the outer variable', '{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}', {}, '2'],
    ['a set inside for writes the variable where it lives (resolveUp)', '{% set x = 1 %}{% for i in xs %}{% set x = i %}{% endfor %}{{ x }}', { xs: [5] }, '5'],
    ['a variable first set inside for stays in the loop', '{% for i in xs %}{% set y = i %}{% endfor %}{{ y or "none" }}', { xs: [5] }, 'none'],
    ['set with a dotted context read', '{% set v = o.a.b %}{{ v }}', { o: { a: { b: 'deep' } } }, 'deep'],
  ];
  for (const [name, text, context, want] of cases) it(name, () => expect(env.renderString(text, context)).to.equal(want));
});
