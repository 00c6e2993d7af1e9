// The renderer's public API: Consul (observe/) -> templates -> the pure plan (plan/) -> validated files, reload,
// pushes (act/), sequenced by the runner.

import { join } from 'node:path';

export * from './config';
export * from './errors';
export * from './observe';
export * from './nginx-safety';
export * from './template-env';
export type { EngineSelector, RenderableTemplate, TemplateEngine } from './template-engine';
export { defaultEngines, nunjucksEngine } from './template-engine';
export { goEngine, rendererDependency, type GoEngineOptions } from './go-engine';
export { compileGoTemplate, renderGoTemplate, GO_TEMPLATE_FUNCTIONS, TemplateParseError, TemplateExecError } from './gotemplate';
export * from './template-state';
export * from './quiescence';
export * from './plan/render-plan';
export * from './plan/template-step';
export * from './plan/push-round';
export * from './plan/schedule';
export * from './plan/upstream-peers';
export * from './plan/upstream-push-plan';
export * from './act/commands';
export * from './act/file-swap';
export * from './act/batch-apply';
export * from './act/upstream-pusher';
export * from './act/lua-check';
export * from './metrics';
export * from './runner';
export { main } from './cli';

/** Directory of the templates shipped with the renderer (nginx sites, keepalived LVS-DR). */
export const TEMPLATES_DIR = join(__dirname, '..', 'templates');
