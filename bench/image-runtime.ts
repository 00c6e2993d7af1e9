// How a daemon's image runs node, read from docker/<daemon>.Dockerfile, so a bench that starts the daemon as its own
// process measures it as it ships: the node flags of the ENTRYPOINT (["node", <flags>..., "<script>"]) and of
// `ENV NODE_OPTIONS=...`, and the memory settings of the environment (`ENV MALLOC_ARENA_MAX=...`). Every stage
// of a Dockerfile must agree (the renderer's two images do). Not a benchmark itself (run.js runs *.bench.ts only).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ImageName = 'registrator' | 'renderer' | 'healer' | 'f5-sync';

export interface ImageRuntime {
  /** Flags before the script, ENTRYPOINT's then NODE_OPTIONS'. */
  nodeFlags: string[];
  /** Environment the image sets that changes how the process uses memory. */
  env: Record<string, string>;
}

/** ENV names a bench carries over from the image (what they change is the process's memory, which benches measure). */
const RUNTIME_ENV = ['MALLOC_ARENA_MAX'] as const;

function onlyValue(dockerfile: string, pattern: RegExp, what: string): string | undefined {
  const values = [...dockerfile.matchAll(pattern)].map((m) => m[1].trim());
  if (values.length === 0) return undefined;
  if (new Set(values).size !== 1) throw new Error(`${what} differs between the Dockerfile's stages: ${values.join(' | ')}`);
  return values[0];
}

export function imageRuntimeOf(dockerfile: string): ImageRuntime {
  // A stage whose entrypoint is a script (the renderer with nginx) starts node as the node stages do.
  const nodeEntrypoints = [...dockerfile.matchAll(/^ENTRYPOINT\s+(\[.*\])\s*$/gm)].map((m) => JSON.parse(m[1]) as string[]).filter((words) => words[0] === 'node');
  const flagSets = [...new Set(nodeEntrypoints.map((words) => words.slice(1).filter((w) => w.startsWith('--')).join(' ')))];
  if (flagSets.length > 1) throw new Error(`the node flags of ENTRYPOINT differ between the Dockerfile's stages: ${flagSets.join(' | ')}`);
  const entrypointFlags = (flagSets[0] ?? '').split(' ').filter(Boolean);
  const nodeOptions = (onlyValue(dockerfile, /^ENV NODE_OPTIONS=(.*)$/gm, 'NODE_OPTIONS') ?? '').split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  for (const name of RUNTIME_ENV) {
    const value = onlyValue(dockerfile, new RegExp(`^ENV ${name}=(\\S+)\\s*$`, 'gm'), name);
    if (value !== undefined) env[name] = value;
  }
  return { nodeFlags: [...entrypointFlags, ...nodeOptions], env };
}

export function imageRuntime(image: ImageName): ImageRuntime {
  return imageRuntimeOf(readFileSync(join(__dirname, '..', 'docker', `${image}.Dockerfile`), 'utf8'));
}
