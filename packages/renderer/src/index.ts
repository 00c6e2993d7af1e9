// The renderer's public API: Consul -> nunjucks templates -> validated files -> reload.

import { join } from 'node:path';

export * from './config';
export * from './observe';
export * from './nginx-safety';
export * from './template-env';
export * from './quiescence';
export * from './render-plan';
export * from './commands';
export * from './file-swap';
export * from './batch-apply';
export * from './metrics';
export * from './runner';
export * from './upstream-peers';
export * from './upstream-push-plan';
export * from './upstream-pusher';
export * from './lua-check';
export { main } from './cli';

/** Directory of the templates shipped with the renderer (nginx sites, keepalived LVS-DR). */
export const TEMPLATES_DIR = join(__dirname, '..', 'templates');
