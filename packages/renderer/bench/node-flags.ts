// How the benches start the renderer: as its image runs it (node flags and memory env, read from
// docker/renderer.Dockerfile by bench/image-runtime.ts). RENDERER_BENCH_NODE_FLAGS (space-separated) overrides the
// flags, to compare heap settings.

import { imageRuntime, type ImageRuntime } from '../../../bench/image-runtime';

export function rendererRuntime(env: NodeJS.ProcessEnv = process.env): ImageRuntime {
  const image = imageRuntime('renderer');
  const override = env.RENDERER_BENCH_NODE_FLAGS;
  return override !== undefined ? { ...image, nodeFlags: override.split(' ').filter(Boolean) } : image;
}

/** The flags a bench starts the renderer with: the override, else the image's. */
export function rendererNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return rendererRuntime(env).nodeFlags;
}

/** The environment of a renderer process a bench starts: the bench's own plus the image's memory settings. */
export function rendererEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ...rendererRuntime(env).env };
}
