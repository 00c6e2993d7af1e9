// Go text/template, as consul-template runs it: the engine's public surface.

export { compileGoTemplate, renderGoTemplate, GO_TEMPLATE_FUNCTIONS, type CompiledGoTemplate, type GoRenderOptions, type GoRenderOutcome, type GoTemplateOptions } from './engine';
export * from './data-source';
export { TemplateParseError } from './parser';
export { TemplateExecError } from './errors';
