// Splits Go template text into tokens as text/template's lexer does: text, delimiters (with `{{-`/`-}}` trimming
// applied to the neighbouring text), comments dropped, and the words of actions.

export type TokenType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'field' | 'identifier' | 'keyword' | 'variable' | 'string' | 'rawString'
  | 'char' | 'number' | 'bool' | 'nil' | 'dot' | 'pipe' | 'leftParen' | 'rightParen' | 'declare' | 'assign' | 'comma'
  | 'space' | 'eof';

export interface Token {
  type: TokenType;
  /** The source text (for text tokens: after trimming). */
  val: string;
  /** Offset in the template source. */
  pos: number;
  line: number;
}

export class LexError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

export const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);

const SPACE = new Set([' ', '\t', '\r', '\n']);

function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && (c === '_' || /[\p{L}\p{Nd}]/u.test(c));
}

function trimRightSpace(s: string): string {
  let end = s.length;
  while (end > 0 && SPACE.has(s[end - 1])) end--;
  return s.slice(0, end);
}

export function lex(input: string, leftDelim = '{{', rightDelim = '}}'): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const lineAt = (p: number) => line + countNewlines(input, pos, p);
  const push = (type: TokenType, start: number, end: number, val = input.slice(start, end)) => {
    tokens.push({ type, val, pos: start, line: lineAt(start) });
  };
  const advance = (to: number) => {
    line += countNewlines(input, pos, to);
    pos = to;
  };
  /** A space (any of Go's four) then "-" then the right delimiter: the `-}}` trim marker. */
  const atRightTrim = (p: number) => SPACE.has(input[p] ?? '') && input[p + 1] === '-' && input.startsWith(rightDelim, p + 2);
  const rightTrimLength = 2 + rightDelim.length;

  while (pos < input.length) {
    const open = input.indexOf(leftDelim, pos);
    const textEnd = open < 0 ? input.length : open;
    const trimLeft = open >= 0 && input[open + leftDelim.length] === '-' && SPACE.has(input[open + leftDelim.length + 1] ?? '');
    const text = trimLeft ? trimRightSpace(input.slice(pos, textEnd)) : input.slice(pos, textEnd);
    if (text.length > 0) tokens.push({ type: 'text', val: text, pos, line });
    advance(textEnd);
    if (open < 0) break;

    push('leftDelim', pos, pos + leftDelim.length);
    advance(pos + leftDelim.length + (trimLeft ? 2 : 0));
    let trimNext = false;
    if (input.startsWith('/*', pos)) {
      const close = input.indexOf('*/', pos + 2);
      if (close < 0) throw new LexError('unclosed comment', line);
      advance(close + 2);
      if (atRightTrim(pos)) {
        trimNext = true;
        advance(pos + rightTrimLength);
      } else if (input.startsWith(rightDelim, pos)) advance(pos + rightDelim.length);
      else throw new LexError('comment ends before closing delimiter', line);
      tokens.pop();
    } else {
      trimNext = lexInsideAction();
    }
    if (trimNext) {
      let p = pos;
      while (p < input.length && SPACE.has(input[p])) p++;
      advance(p);
    }
  }
  tokens.push({ type: 'eof', val: '', pos, line });
  return tokens;

  /** Lexes one action up to its right delimiter; returns whether it ended with `-}}`. */
  function lexInsideAction(): boolean {
    let parenDepth = 0;
    for (;;) {
      if (atRightTrim(pos) || input.startsWith(rightDelim, pos)) {
        const trimmed = atRightTrim(pos);
        if (parenDepth > 0) throw new LexError('unclosed left paren', line);
        const start = trimmed ? pos + 2 : pos;
        push('rightDelim', start, start + rightDelim.length);
        advance(start + rightDelim.length);
        return trimmed;
      }
      if (pos >= input.length) throw new LexError('unclosed action', line);
      const c = input[pos];
      const start = pos;
      if (SPACE.has(c)) {
        let p = pos;
        // A space followed by "-}}" belongs to the trim marker.
        while (p < input.length && SPACE.has(input[p]) && !atRightTrim(p)) p++;
        if (p === pos) p++;
        push('space', pos, p);
        advance(p);
      } else if (c === '=') {
        push('assign', pos, pos + 1);
        advance(pos + 1);
      } else if (c === ':') {
        if (input[pos + 1] !== '=') throw new LexError('expected :=', line);
        push('declare', pos, pos + 2);
        advance(pos + 2);
      } else if (c === '|') {
        push('pipe', pos, pos + 1);
        advance(pos + 1);
      } else if (c === ',') {
        push('comma', pos, pos + 1);
        advance(pos + 1);
      } else if (c === '(') {
        parenDepth++;
        push('leftParen', pos, pos + 1);
        advance(pos + 1);
      } else if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) throw new LexError('unexpected right paren', line);
        push('rightParen', pos, pos + 1);
        advance(pos + 1);
      } else if (c === '"' || c === "'") {
        let p = pos + 1;
        while (p < input.length && input[p] !== c) {
          if (input[p] === '\\') p++;
          if (input[p] === '\n') throw new LexError(c === '"' ? 'unterminated quoted string' : 'unterminated character constant', line);
          p++;
        }
        if (p >= input.length) throw new LexError(c === '"' ? 'unterminated quoted string' : 'unterminated character constant', line);
        push(c === '"' ? 'string' : 'char', pos, p + 1);
        advance(p + 1);
      } else if (c === '`') {
        const close = input.indexOf('`', pos + 1);
        if (close < 0) throw new LexError('unterminated raw quoted string', line);
        push('rawString', pos, close + 1);
        advance(close + 1);
      } else if (c === '$') {
        let p = pos + 1;
        while (isAlphaNumeric(input[p])) p++;
        push('variable', pos, p);
        advance(p);
      } else if (c === '.' && !/[0-9]/.test(input[pos + 1] ?? '')) {
        let p = pos + 1;
        while (isAlphaNumeric(input[p])) p++;
        push(p === pos + 1 ? 'dot' : 'field', pos, p);
        advance(p);
        checkTerminator();
      } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
        const m = /^[+-]?(0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?)i?/.exec(input.slice(pos));
        const len = m ? m[0].length : 0;
        if (len === 0 || !/[0-9]/.test(input.slice(pos, pos + len)) || isAlphaNumeric(input[pos + len]) || input[pos + len] === '.') {
          let p = pos + Math.max(len, 1);
          while (isAlphaNumeric(input[p]) || input[p] === '.') p++;
          throw new LexError(`bad number syntax: "${input.slice(start, p)}"`, line);
        }
        push('number', pos, pos + len);
        advance(pos + len);
      } else if (isAlphaNumeric(c)) {
        let p = pos;
        while (isAlphaNumeric(input[p])) p++;
        const word = input.slice(pos, p);
        const type: TokenType = KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier';
        push(type, pos, p);
        advance(p);
        checkTerminator();
      } else {
        throw new LexError(`unrecognized character in action: ${describeRune(c)}`, line);
      }
    }
  }

  function checkTerminator(): void {
    const c = input[pos];
    if (c === undefined || SPACE.has(c) || '.,|:()'.includes(c) || input.startsWith(rightDelim, pos) || c === '=') return;
    throw new LexError(`bad character ${describeRune(c)}`, line);
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Go's %#U: U+0021 '!'. */
function describeRune(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}
