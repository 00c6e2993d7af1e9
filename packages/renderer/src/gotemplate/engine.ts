// The Go template engine's entry points: compile a template once, render it against a data source as often as the
// data changes. A render reports the dependencies it used and those without data yet (multi-phase, as
// consul-template's runner does) instead of throwing.

import { BUILTINS } from './builtins';
import type { GoDataSource, GoDependency, HealthService } from './data-source';
import { EXECUTE_TEMPLATE, execute, type GoFunction, type MissingKey } from './exec';
import { collectionFunctions } from './functions/collections';
import { consulFunctions } from './functions/consul';
import { convertFunctions } from './functions/convert';
import { mathFunctions } from './functions/math';
import { pushFunctions } from './functions/push';
import type { RenderContext } from './functions/render-context';
import { scratchFunctions } from './functions/scratch';
import { stringFunctions } from './functions/strings';
import { systemFunctions } from './functions/system';
import { parseTemplate, type ParsedTemplate } from './parser';
import { GoCallError } from './values';

export interface GoTemplateOptions {
  /** The name in error messages (`template: NAME:1:2: ...`). consul-template parses every template as "". */
  name?: string;
  /** consul-template's left_delimiter / right_delimiter; default `{{` `}}`. */
  leftDelimiter?: string;
  rightDelimiter?: string;
  /** consul-template's error_on_missing_key: a missing map key fails the render instead of giving the zero value. */
  errorOnMissingKey?: boolean;
  /** consul-template's function_denylist: names (`*` globs) whose calls fail with "function is disabled". */
  functionDenylist?: string[];
}

export interface CompiledGoTemplate {
  name: string;
  parsed: ParsedTemplate;
  missingKey: MissingKey;
  functionDenylist: string[];
}

export interface GoRenderOptions {
  /** What env/envOrDefault read; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock timestamp reads; default now. */
  now?: () => Date;
  /** The renderer's no-reload mode: receives what `pushUpstream` is given (a throw is the call's error). */
  pushUpstream?: (upstream: string, services: HealthService[]) => void;
}

export interface GoRenderOutcome {
  /** The rendered text; write it only when `missing` and `blockedOn` are empty and there is no error. */
  output: string;
  /** Every dependency the template called, by key (watch all of them). */
  used: Map<string, GoDependency>;
  /** Keys of dependencies with no data yet. */
  missing: string[];
  /** Keys that answered but still hold the render back: `key` of an absent key, safeLs/safeTree of an empty prefix. */
  blockedOn: string[];
  /** Go's execution error (e.g. a missing field); `used` still lists what was called before it. */
  error?: Error;
}

/** What a denied function does in consul-template (funcs.go denied). */
const DENIED: GoFunction = {
  arity: { min: 0 },
  call: () => {
    throw new GoCallError('function is disabled');
  },
};

/** go-glob's matching: `*` matches any run of characters, everything else is literal. */
function globMatch(pattern: string, name: string): boolean {
  const parts = pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(name);
}

function functionTable(ctx: RenderContext & { denied: string[] }): Map<string, GoFunction> {
  const table = new Map<string, GoFunction>(BUILTINS);
  consulFunctions(ctx, table);
  systemFunctions(ctx, table);
  stringFunctions(table);
  collectionFunctions(table);
  convertFunctions(table);
  mathFunctions(table);
  scratchFunctions(table);
  pushFunctions(ctx, table);
  table.set('executeTemplate', EXECUTE_TEMPLATE);
  for (const name of table.keys()) {
    if (!BUILTINS.has(name) && ctx.denied.some((pattern) => globMatch(pattern, name))) table.set(name, DENIED);
  }
  return table;
}

function newContext(source: GoDataSource, options: GoRenderOptions, denied: string[] = []): RenderContext & { denied: string[] } {
  return {
    denied, source, used: new Map(), missing: new Set(), blockedOn: new Set(), env: options.env ?? process.env, now: options.now ?? (() => new Date()), pushUpstream: options.pushUpstream };
}

const NO_DATA: GoDataSource = { lookup: () => undefined };

/** Every function name a template may call (builtins and consul-template's). */
export const GO_TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set(functionTable(newContext(NO_DATA, {})).keys());

/** Parses `text`; throws TemplateParseError (Go's message) on a syntax error. */
export function compileGoTemplate(text: string, options: GoTemplateOptions = {}): CompiledGoTemplate {
  const name = options.name ?? '';
  const parsed = parseTemplate(name, text, { leftDelim: options.leftDelimiter, rightDelim: options.rightDelimiter, functions: GO_TEMPLATE_FUNCTIONS });
  return { name, parsed, missingKey: options.errorOnMissingKey ? 'error' : 'zero', functionDenylist: options.functionDenylist ?? [] };
}

/** Executes against what `source` has now (dot is nil, as consul-template runs it). Never throws. */
export function renderGoTemplate(compiled: CompiledGoTemplate, source: GoDataSource, options: GoRenderOptions = {}): GoRenderOutcome {
  const ctx = newContext(source, options, compiled.functionDenylist);
  let output = '';
  let error: Error | undefined;
  try {
    output = execute(compiled.parsed, undefined, { functions: functionTable(ctx), missingKey: compiled.missingKey });
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
  }
  return { output, used: ctx.used, missing: [...ctx.missing].sort(), blockedOn: [...ctx.blockedOn].sort(), error };
}
