// The ?filter= expression language (go-bexpr's common forms): ==, !=, in, not in, contains,
// not contains, matches, is empty, and/or/not, parentheses; selectors checked against each
// endpoint's data type.

import { badRequest } from './errors';

export type Schema =
  | { kind: 'value' }
  | { kind: 'list' }
  | { kind: 'map' }
  | { kind: 'struct'; fields: Record<string, Schema> }
  | { kind: 'structList'; fields: Record<string, Schema> };

export const value: Schema = { kind: 'value' };
export const list: Schema = { kind: 'list' };
export const map: Schema = { kind: 'map' };
export const struct = (fields: Record<string, Schema>): Schema => ({ kind: 'struct', fields });
export const structList = (fields: Record<string, Schema>): Schema => ({ kind: 'structList', fields });

type MatchOp = 'eq' | 'ne' | 'empty' | 'notEmpty' | 'in' | 'notIn' | 'matches' | 'notMatches';

type Expr =
  | { type: 'or' | 'and'; left: Expr; right: Expr }
  | { type: 'not'; expr: Expr }
  | { type: 'match'; op: MatchOp; selector: string[]; value: string; pattern?: RegExp };

class ParseError extends Error {}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'is', 'empty', 'matches']);

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): Expr {
    const expr = this.parseOr();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('"and", "or" or end of input');
    return expr;
  }

  private fail(expected: string): never {
    throw new ParseError(`1:${this.pos + 1} (${this.pos}): no match found, expected: ${expected}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  /** Consumes the keyword if it comes next as a whole word. */
  private keyword(word: string): boolean {
    this.skipSpace();
    const slice = this.text.slice(this.pos, this.pos + word.length);
    const after = this.text.charAt(this.pos + word.length);
    if (slice === word && !/[A-Za-z0-9_]/.test(after)) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private symbol(symbol: string): boolean {
    this.skipSpace();
    if (this.text.startsWith(symbol, this.pos)) {
      this.pos += symbol.length;
      return true;
    }
    return false;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.keyword('or')) left = { type: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.keyword('and')) left = { type: 'and', left, right: this.parseNot() };
    return left;
  }

  private parseNot(): Expr {
    if (this.keyword('not')) return { type: 'not', expr: this.parseNot() };
    if (this.symbol('(')) {
      const inner = this.parseOr();
      if (!this.symbol(')')) this.fail('")"');
      return inner;
    }
    return this.parseMatch();
  }

  private parseMatch(): Expr {
    this.skipSpace();
    const start = this.pos;
    const quoted = this.tryQuoted();
    if (quoted !== undefined || /[0-9\-]/.test(this.text.charAt(this.pos))) {
      const literal = quoted ?? this.bareValue();
      return this.parseInTail(literal);
    }
    const selector = this.trySelector();
    if (!selector) this.fail('"(", "not", a selector or a value');
    const save = this.pos;
    if (this.keyword('in')) return this.finishIn(selector.join('.'), false);
    if (this.keyword('not') && this.keyword('in')) return this.finishIn(selector.join('.'), true);
    this.pos = save;
    if (this.symbol('==')) return { type: 'match', op: 'eq', selector, value: this.parseValue() };
    if (this.symbol('!=')) return { type: 'match', op: 'ne', selector, value: this.parseValue() };
    if (this.keyword('is')) {
      const negated = this.keyword('not');
      if (!this.keyword('empty')) this.fail('"empty"');
      return { type: 'match', op: negated ? 'notEmpty' : 'empty', selector, value: '' };
    }
    const negated = this.keyword('not');
    if (this.keyword('contains')) return { type: 'match', op: negated ? 'notIn' : 'in', selector, value: this.parseValue() };
    if (this.keyword('matches')) return this.regexMatch(selector, negated);
    if (start === this.pos) this.fail('a selector');
    this.fail('"!=", "==", "contains", "in", "is", "matches", "not" or "."');
  }

  private regexMatch(selector: string[], negated: boolean): Expr {
    const source = this.parseValue();
    let pattern: RegExp;
    try {
      pattern = new RegExp(source);
    } catch (err) {
      throw new ParseError(`error parsing regexp: ${(err as Error).message}`);
    }
    return { type: 'match', op: negated ? 'notMatches' : 'matches', selector, value: source, pattern };
  }

  /** `"value" in Selector` / `"value" not in Selector`. */
  private parseInTail(literal: string): Expr {
    const negated = this.keyword('not');
    if (!this.keyword('in')) this.fail('"in" or "not in"');
    return this.finishSelectorIn(literal, negated);
  }

  private finishSelectorIn(literal: string, negated: boolean): Expr {
    const selector = this.trySelector();
    if (!selector) this.fail('a selector');
    return { type: 'match', op: negated ? 'notIn' : 'in', selector, value: literal };
  }

  /** A bare word before `in` was a value, not a selector. */
  private finishIn(literal: string, negated: boolean): Expr {
    return this.finishSelectorIn(literal, negated);
  }

  private parseValue(): string {
    this.skipSpace();
    const quoted = this.tryQuoted();
    if (quoted !== undefined) return quoted;
    const bare = this.bareValue();
    if (bare === '') this.fail('a value');
    return bare;
  }

  private bareValue(): string {
    const match = /^[^\s()"`]+/.exec(this.text.slice(this.pos));
    if (!match) return '';
    this.pos += match[0].length;
    return match[0];
  }

  private tryQuoted(): string | undefined {
    const quote = this.text.charAt(this.pos);
    if (quote === '`') {
      const end = this.text.indexOf('`', this.pos + 1);
      if (end < 0) this.fail('"`"');
      const raw = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return raw;
    }
    if (quote !== '"') return undefined;
    let out = '';
    let i = this.pos + 1;
    while (i < this.text.length) {
      const c = this.text.charAt(i);
      if (c === '\\' && i + 1 < this.text.length) {
        const next = this.text.charAt(i + 1);
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
        continue;
      }
      if (c === '"') {
        this.pos = i + 1;
        return out;
      }
      out += c;
      i++;
    }
    this.fail('"\\""');
  }

  /** Selector := Ident ( "." Ident | "[" quoted "]" )* */
  private trySelector(): string[] | undefined {
    this.skipSpace();
    const ident = /^[A-Za-z_][A-Za-z0-9_\-/]*/;
    const first = ident.exec(this.text.slice(this.pos));
    if (!first || KEYWORDS.has(first[0])) return undefined;
    this.pos += first[0].length;
    const parts = [first[0]];
    for (;;) {
      if (this.text.charAt(this.pos) === '.') {
        const next = ident.exec(this.text.slice(this.pos + 1)) ?? /^[0-9A-Za-z_\-/]+/.exec(this.text.slice(this.pos + 1));
        if (!next) this.fail('an identifier');
        this.pos += 1 + next[0].length;
        parts.push(next[0]);
      } else if (this.text.charAt(this.pos) === '[') {
        this.pos++;
        const key = this.tryQuoted();
        if (key === undefined || this.text.charAt(this.pos) !== ']') this.fail('a quoted key and "]"');
        this.pos++;
        parts.push(key);
      } else {
        return parts;
      }
    }
  }
}

/** Checks the selector against the schema and returns it with canonical field names. */
function resolveSelector(selector: string[], schema: Schema): string[] {
  const invalid = (): never => {
    throw new ParseError(`Selector "${selector.join('.')}" is not valid`);
  };
  const out: string[] = [];
  let current: Schema = schema;
  for (const part of selector) {
    if (current.kind === 'struct' || current.kind === 'structList') {
      const fields: Record<string, Schema> = current.fields;
      const name = Object.keys(fields).find((f) => f === part) ?? Object.keys(fields).find((f) => f.toLowerCase() === part.toLowerCase());
      if (!name) invalid();
      out.push(name as string);
      current = fields[name as string] as Schema;
    } else if (current.kind === 'map') {
      out.push(part);
      current = value;
    } else {
      invalid();
    }
  }
  return out;
}

function select(item: unknown, path: string[]): unknown {
  let current: unknown = item;
  for (const part of path) {
    if (Array.isArray(current)) {
      current = current.map((element) => (element && typeof element === 'object' ? (element as Record<string, unknown>)[part] : undefined));
    } else if (current && typeof current === 'object') {
      current = (current as Record<string, unknown>)[part];
    } else {
      return undefined;
    }
  }
  return current;
}

function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

function contains(v: unknown, needle: string): boolean {
  if (Array.isArray(v)) return v.some((e) => scalarText(e) === needle);
  if (typeof v === 'string') return v.includes(needle);
  if (v && typeof v === 'object') return Object.prototype.hasOwnProperty.call(v, needle);
  return false;
}

function equals(v: unknown, expected: string): boolean {
  if (Array.isArray(v)) return v.some((e) => equals(e, expected));
  if (v === undefined || v === null) return false;
  return scalarText(v) === expected;
}

function evaluate(expr: Expr, item: unknown): boolean {
  switch (expr.type) {
    case 'or':
      return evaluate(expr.left, item) || evaluate(expr.right, item);
    case 'and':
      return evaluate(expr.left, item) && evaluate(expr.right, item);
    case 'not':
      return !evaluate(expr.expr, item);
    case 'match': {
      const v = select(item, expr.selector);
      switch (expr.op) {
        case 'eq': return equals(v, expr.value);
        case 'ne': return !equals(v, expr.value);
        case 'empty': return isEmpty(v);
        case 'notEmpty': return !isEmpty(v);
        case 'in': return contains(v, expr.value);
        case 'notIn': return !contains(v, expr.value);
        case 'matches':
        case 'notMatches': {
          const values = Array.isArray(v) ? v : [v];
          const hit = values.some((e) => typeof e === 'string' && (expr.pattern as RegExp).test(e));
          return expr.op === 'matches' ? hit : !hit;
        }
      }
    }
  }
}

function canonicalise(expr: Expr, schema: Schema): Expr {
  switch (expr.type) {
    case 'or':
    case 'and':
      return { ...expr, left: canonicalise(expr.left, schema), right: canonicalise(expr.right, schema) };
    case 'not':
      return { ...expr, expr: canonicalise(expr.expr, schema) };
    case 'match':
      return { ...expr, selector: resolveSelector(expr.selector, schema) };
  }
}

export type FilterPredicate = (item: unknown) => boolean;

/** Compiles an expression for items shaped by `schema`; a bad expression is a 400 with bexpr's prefix. */
export function compileFilter(expression: string, schema: Schema): FilterPredicate {
  try {
    const expr = canonicalise(new Parser(expression).parse(), schema);
    return (item) => evaluate(expr, item);
  } catch (err) {
    if (err instanceof ParseError) throw badRequest(`Failed to create boolean expression evaluator: ${err.message}`);
    throw err;
  }
}

/** Applies ?filter= from the query to a list of views, if present. */
export function filterList<T>(query: URLSearchParams, schema: Schema, items: T[]): T[] {
  const expression = query.get('filter');
  if (!expression) return items;
  const predicate = compileFilter(expression, schema);
  return items.filter((item) => predicate(item));
}

