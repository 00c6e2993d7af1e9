// nunjucks' Frame.set, with the split of the variable name on '.' done once per name instead of on every call.
// A compiled `for` sets eight variables per iteration (the item, loop.index, loop.first...): the shipped nginx
// template over 10,000 services x 10 instances makes ~900,000 calls per render, and splitting each name anew was
// a third of the render's time (the profile's top entry). The same function otherwise (nunjucks 3.2.4,
// src/runtime.js): dotted names build nested objects, `resolveUp` writes where the name already lives.

import nunjucks from 'nunjucks';

interface Frame {
  variables: Record<string, unknown>;
  resolve(name: string, forWrite?: boolean): Frame | undefined;
  set(name: string, value: unknown, resolveUp?: boolean): void;
}

/** Variable names are the templates' identifiers: few, and the same on every render. */
const parts = new Map<string, string[]>();

function nameParts(name: string): string[] {
  let split = parts.get(name);
  if (split === undefined) {
    split = name.split('.');
    if (parts.size < 10_000) parts.set(name, split);
  }
  return split;
}

function set(this: Frame, name: string, value: unknown, resolveUp?: boolean): void {
  const path = nameParts(name);
  if (resolveUp) {
    const frame = this.resolve(path[0], true);
    if (frame) {
      frame.set(name, value);
      return;
    }
  }
  let obj = this.variables;
  for (let i = 0; i < path.length - 1; i++) {
    const id = path[i];
    if (!obj[id]) obj[id] = {};
    obj = obj[id] as Record<string, unknown>;
  }
  obj[path[path.length - 1]] = value;
}

const runtime = nunjucks.runtime as unknown as { Frame?: { prototype: Frame } };
if (typeof runtime.Frame?.prototype.set !== 'function') throw new Error('nunjucks runtime.Frame.set not found: the nunjucks version changed; check nunjucks-frame.ts against it');
runtime.Frame.prototype.set = set;
