// The node flags the renderer image runs with (its NODE_OPTIONS), read from docker/renderer.Dockerfile: the benches
// measure the renderer as it ships. RENDERER_BENCH_NODE_FLAGS (space-separated) overrides them, to compare.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCKERFILE = join(__dirname, '..', '..', '..', 'docker', 'renderer.Dockerfile');

export function imageNodeFlags(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string[] {
  const values = [...dockerfile.matchAll(/^ENV NODE_OPTIONS=(.*)$/gm)].map((m) => m[1].trim());
  if (values.length === 0) return [];
  if (new Set(values).size !== 1) throw new Error(`docker/renderer.Dockerfile sets NODE_OPTIONS differently per image: ${values.join(' | ')}`);
  return values[0].split(/\s+/).filter(Boolean);
}

/** The flags a bench starts the renderer with: the override, else the image's. */
export function rendererNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.RENDERER_BENCH_NODE_FLAGS;
  return override !== undefined ? override.split(' ').filter(Boolean) : imageNodeFlags();
}
