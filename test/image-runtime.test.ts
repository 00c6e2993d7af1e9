// The benches start each daemon as its image runs it: bench/image-runtime.ts reads that from the Dockerfiles.

import { expect } from 'chai';
import { imageRuntime, imageRuntimeOf } from '../bench/image-runtime';

describe('bench: how an image runs node (bench/image-runtime.ts)', () => {
  const cases: [string, string, { nodeFlags: string[]; env: Record<string, string> } | RegExp][] = [
    ['entrypoint flags', 'ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/x.js"]', { nodeFlags: ['--max-semi-space-size=1'], env: {} }],
    ['NODE_OPTIONS after them, and MALLOC_ARENA_MAX', 'ENV NODE_OPTIONS=--a --b\nENV MALLOC_ARENA_MAX=2\nENTRYPOINT ["node", "--c", "/x.js"]', { nodeFlags: ['--c', '--a', '--b'], env: { MALLOC_ARENA_MAX: '2' } }],
    ['a stage with a script entrypoint (the renderer with nginx) agrees with the node stage', 'ENV MALLOC_ARENA_MAX=2\nENTRYPOINT ["node", "/x.js"]\nENV MALLOC_ARENA_MAX=2\nENTRYPOINT ["/entry.sh"]', { nodeFlags: [], env: { MALLOC_ARENA_MAX: '2' } }],
    ['other ENV lines are not carried over', 'ENV NODE_ENV=production \\\n    PORT=1\nENTRYPOINT ["node", "/x.js"]', { nodeFlags: [], env: {} }],
    ['stages that disagree are an error', 'ENV MALLOC_ARENA_MAX=2\nENV MALLOC_ARENA_MAX=4', /MALLOC_ARENA_MAX differs/],
    ['node flags that disagree are an error', 'ENTRYPOINT ["node", "--a", "/x.js"]\nENTRYPOINT ["node", "/x.js"]', /ENTRYPOINT differ/],
  ];
  for (const [name, dockerfile, want] of cases) {
    it(name, () => {
      if (want instanceof RegExp) expect(() => imageRuntimeOf(dockerfile)).to.throw(want);
      else expect(imageRuntimeOf(dockerfile)).to.deep.equal(want);
    });
  }

  it('every daemon image as shipped: the glibc arenas bounded', () => {
    for (const image of ['registrator', 'renderer', 'healer', 'f5-sync'] as const) expect(imageRuntime(image).env, image).to.deep.equal({ MALLOC_ARENA_MAX: '2' });
    expect(imageRuntime('renderer').nodeFlags).to.deep.equal(['--max-semi-space-size=1']);
  });
});
