// The template-engine seam: an engine compiles a template's text into something that renders against the
// dependency data the watchers hold. nunjucks (template-env.ts) is the first engine.

import type { DependencySource } from './observe/dependency';
import type { TemplateConfig } from './config';
import { TemplateEnvironment, type RenderOutcome } from './template-env';

export interface RenderableTemplate {
  /** The source path, or `inline:<destination>`: error messages and logs name it. */
  readonly name: string;
  /** Renders synchronously against what `source` holds now, recording what it read. Never throws. */
  render(source: DependencySource, context: Record<string, unknown>): RenderOutcome;
}

export interface TemplateEngine {
  /** Throws a CodedError (ERR_TEMPLATE_SYNTAX) naming the template when the text does not parse. */
  compile(text: string, name: string): RenderableTemplate;
}

/** Which engine renders a template (today every template is nunjucks). */
export type EngineSelector = (template: TemplateConfig) => TemplateEngine;

export function nunjucksEngine(env: TemplateEnvironment): TemplateEngine {
  return {
    compile(text, name) {
      const compiled = env.compile(text, name);
      return { name: compiled.name, render: (source, context) => env.render(compiled, source, context) };
    },
  };
}

export function defaultEngines(options: { env?: NodeJS.ProcessEnv }): EngineSelector {
  const nunjucks = nunjucksEngine(new TemplateEnvironment({ env: options.env }));
  return () => nunjucks;
}
