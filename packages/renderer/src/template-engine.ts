// The template-engine seam: an engine compiles a template's text into something that renders against the
// dependency data the watchers hold: nunjucks (template-env.ts) and Go text/template (go-engine.ts).

import { goEngine } from './go-engine';
import type { DependencySource, RejectListener } from './observe/dependency';
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

/** Which engine renders a template: its config's `engine` (resolved from the extension when not given). */
export type EngineSelector = (template: TemplateConfig) => TemplateEngine;

export function nunjucksEngine(env: TemplateEnvironment): TemplateEngine {
  return {
    compile(text, name) {
      const compiled = env.compile(text, name);
      return { name: compiled.name, render: (source, context) => env.render(compiled, source, context) };
    },
  };
}

/** nunjucks (one environment for all its templates) or Go (per template: its delimiters and missing-key rule). */
export function defaultEngines(options: { env?: NodeJS.ProcessEnv; onReject?: RejectListener }): EngineSelector {
  const nunjucks = nunjucksEngine(new TemplateEnvironment({ env: options.env, onReject: options.onReject }));
  return (template) => (template.engine === 'go'
    ? goEngine({ env: options.env, leftDelimiter: template.leftDelimiter, rightDelimiter: template.rightDelimiter, errorOnMissingKey: template.errorOnMissingKey, functionDenylist: template.functionDenylist })
    : nunjucks);
}
