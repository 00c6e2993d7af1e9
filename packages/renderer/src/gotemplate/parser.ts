// Builds the parse tree from tokens with text/template's grammar and its parse-time checks (undefined functions
// and variables, {{break}} outside range, misplaced {{else}}/{{end}}), reporting errors in Go's words.

import type { ArgNode, CommandNode, ListNode, Node, PipeNode, VariableNode } from './ast';
import { LexError, lex, type Token, type TokenType } from './lexer';
import { unquoteGo } from './unquote';

/** A parse failure, worded as Go's: `template: NAME:LINE: MSG`. */
export class TemplateParseError extends Error {
  constructor(readonly templateName: string, readonly line: number, readonly detail: string) {
    super(`template: ${templateName}:${line}: ${detail}`);
  }
}

export interface ParsedTemplate {
  name: string;
  /** Every template by name: the main one and each {{define}}/{{block}}. */
  templates: Map<string, ListNode>;
  /** The source text (error positions are computed from it). */
  source: string;
}

export interface ParseOptions {
  leftDelim?: string;
  rightDelim?: string;
  /** Names that may be called as functions. */
  functions: ReadonlySet<string>;
}

type EndNode = { type: 'end'; pos: number; line: number } | { type: 'else'; pos: number; line: number };

function describe(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'keyword') return `<${t.val}>`;
  const q = JSON.stringify(t.val);
  return t.val.length > 10 ? `${JSON.stringify(t.val.slice(0, 10))}...` : q;
}

export function parseTemplate(name: string, text: string, options: ParseOptions): ParsedTemplate {
  let tokens: Token[];
  try {
    tokens = lex(text, options.leftDelim ?? '{{', options.rightDelim ?? '}}');
  } catch (err) {
    if (err instanceof LexError) throw new TemplateParseError(name, err.line, err.message);
    throw err;
  }
  const templates = new Map<string, ListNode>();
  let i = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  let current = tokens[0];

  const fail = (msg: string, at: Token = current): never => {
    throw new TemplateParseError(name, at.line, msg);
  };
  const next = (): Token => (current = tokens[i++] ?? tokens[tokens.length - 1]);
  const backup = (n = 1) => {
    i -= n;
  };
  const peek = (): Token => tokens[i] ?? tokens[tokens.length - 1];
  const nextNonSpace = (): Token => {
    let t = next();
    while (t.type === 'space') t = next();
    return t;
  };
  const peekNonSpace = (): Token => {
    const t = nextNonSpace();
    backup();
    return t;
  };
  const expect = (type: TokenType, context: string): Token => {
    const t = nextNonSpace();
    if (t.type !== type) fail(`unexpected ${describe(t)} in ${context}`, t);
    return t;
  };
  const isKeyword = (t: Token, word: string) => t.type === 'keyword' && t.val === word;

  const root: ListNode = { type: 'list', pos: 0, nodes: [] };
  while (peek().type !== 'eof') {
    if (peek().type === 'leftDelim') {
      const mark = i;
      next();
      if (isKeyword(nextNonSpace(), 'define')) {
        parseDefinition();
        continue;
      }
      i = mark;
    }
    const n = textOrAction();
    if (n.type === 'end' || n.type === 'else') fail(`unexpected {{${n.type}}}`);
    else root.nodes.push(n);
  }
  addTemplate(name, root);
  return { name, templates, source: text };

  function addTemplate(tname: string, list: ListNode): void {
    const existing = templates.get(tname);
    if (existing && !isEmpty(existing) && !isEmpty(list)) fail(`template: multiple definition of template ${JSON.stringify(tname)}`);
    if (!existing || isEmpty(existing)) templates.set(tname, list);
  }

  function parseDefinition(): void {
    const nameToken = nextNonSpace();
    if (nameToken.type !== 'string' && nameToken.type !== 'rawString') fail(`unexpected ${describe(nameToken)} in define clause`, nameToken);
    const tname = unquoteGo(nameToken.val);
    expect('rightDelim', 'define clause');
    const saved = vars;
    vars = ['$'];
    const [list, end] = itemList();
    vars = saved;
    if (end.type !== 'end') fail(`unexpected {{${end.type}}} in define clause`);
    addTemplate(tname, list);
  }

  function itemList(): [ListNode, EndNode] {
    const list: ListNode = { type: 'list', pos: peek().pos, nodes: [] };
    while (peekNonSpace().type !== 'eof') {
      const n = textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    return fail('unexpected EOF');
  }

  function textOrAction(): Node | EndNode {
    const t = nextNonSpace();
    if (t.type === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.type === 'leftDelim') return action();
    return fail(`unexpected ${describe(t)} in input`, t);
  }

  function action(): Node | EndNode {
    const t = nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.val) {
        case 'block': return blockControl();
        case 'break': case 'continue': {
          if (rangeDepth === 0) fail(`{{${t.val}}} outside {{range}}`, t);
          const close = nextNonSpace();
          if (close.type !== 'rightDelim') fail(`unexpected ${describe(close)} in {{${t.val}}}`, close);
          return { type: t.val, pos: t.pos, line: t.line };
        }
        case 'else': {
          const after = peekNonSpace();
          if (isKeyword(after, 'if') || isKeyword(after, 'with')) return { type: 'else', pos: t.pos, line: t.line };
          expect('rightDelim', 'else');
          return { type: 'else', pos: t.pos, line: t.line };
        }
        case 'end':
          expect('rightDelim', 'end');
          return { type: 'end', pos: t.pos, line: t.line };
        case 'if': case 'range': case 'with': return control(t.val);
        case 'template': return templateControl();
        case 'define': return fail('unexpected <define> in command', t);
      }
    }
    backup();
    const pipe = pipeline('command', 'rightDelim');
    return { type: 'action', pos: t.pos, line: t.line, pipe };
  }

  function control(context: 'if' | 'range' | 'with'): Node {
    const depth = vars.length;
    const pipe = pipeline(context, 'rightDelim');
    if (context === 'range') rangeDepth++;
    const [list, end] = itemList();
    if (context === 'range') rangeDepth--;
    let elseList: ListNode | undefined;
    if (end.type === 'else') {
      const p = peek();
      if ((context === 'if' && isKeyword(p, 'if')) || (context === 'with' && isKeyword(p, 'with'))) {
        next();
        elseList = { type: 'list', pos: p.pos, nodes: [control(context)] };
      } else {
        const [els, end2] = itemList();
        if (end2.type !== 'end') fail('expected end; found {{else}}');
        elseList = els;
      }
    }
    vars = vars.slice(0, depth);
    // Go positions a control node at its pipeline (error messages point there).
    return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
  }

  function templateControl(): Node {
    const nameToken = nextNonSpace();
    if (nameToken.type !== 'string' && nameToken.type !== 'rawString') fail(`unexpected ${describe(nameToken)} in template clause`, nameToken);
    const tname = unquoteGo(nameToken.val);
    let pipe: PipeNode | undefined;
    if (nextNonSpace().type !== 'rightDelim') {
      backup();
      pipe = pipeline('template', 'rightDelim');
    }
    return { type: 'template', pos: nameToken.pos, line: nameToken.line, name: tname, pipe };
  }

  function blockControl(): Node {
    const nameToken = nextNonSpace();
    if (nameToken.type !== 'string' && nameToken.type !== 'rawString') fail(`unexpected ${describe(nameToken)} in block clause`, nameToken);
    const tname = unquoteGo(nameToken.val);
    const pipe = pipeline('block', 'rightDelim');
    const saved = vars;
    vars = ['$'];
    const [list, end] = itemList();
    vars = saved;
    if (end.type !== 'end') fail('unexpected {{else}} in block clause');
    addTemplate(tname, list);
    return { type: 'template', pos: nameToken.pos, line: nameToken.line, name: tname, pipe };
  }

  function pipeline(context: string, end: TokenType): PipeNode {
    const start = peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: start.pos, line: start.line, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = peekNonSpace();
      if (v.type !== 'variable') break;
      const mark = i;
      next();
      const after = peekNonSpace();
      if (after.type === 'assign' || after.type === 'declare') {
        nextNonSpace();
        pipe.isAssign = after.type === 'assign';
        if (pipe.isAssign && !vars.includes(v.val)) fail(`undefined variable ${JSON.stringify(v.val)}`, v);
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        vars.push(v.val);
        break;
      }
      if (after.type === 'comma') {
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = peekNonSpace();
          if (p.type === 'variable' || p.type === 'rightDelim' || p.type === 'rightParen') continue;
          fail('range can only initialize variables', p);
        }
        fail(`too many declarations in ${context}`, v);
      }
      i = mark;
      break;
    }
    for (;;) {
      const t = nextNonSpace();
      if (t.type === end) {
        checkPipeline(pipe, context);
        return pipe;
      }
      if (['bool', 'char', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen'].includes(t.type)) {
        backup();
        pipe.cmds.push(command());
      } else fail(`unexpected ${describe(t)} in ${context}`, t);
    }
  }

  function checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, k) => {
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0].type)) fail(`non executable command in pipeline stage ${k + 2}`);
    });
  }

  function command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const op = operand();
      if (op) cmd.args.push(op);
      const t = next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') backup();
      else if (t.type !== 'pipe') fail(`unexpected ${describe(t)} in operand`, t);
      break;
    }
    if (cmd.args.length === 0) fail('empty command');
    return cmd;
  }

  function operand(): ArgNode | undefined {
    const node = term();
    if (!node || peek().type !== 'field') return node;
    // Go positions the chain (and a field or variable extended by it) at its first added field.
    const chainPos = peek().pos;
    const fields: string[] = [];
    while (peek().type === 'field') fields.push(next().val.slice(1));
    if (node.type === 'field') return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
    if (node.type === 'variable') return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
    if (['bool', 'string', 'number', 'nil', 'dot'].includes(node.type)) fail(`unexpected . after term ${JSON.stringify(argStringShort(node))}`);
    return { type: 'chain', pos: chainPos, node, field: fields };
  }

  function term(): ArgNode | undefined {
    const t = nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!options.functions.has(t.val)) fail(`function ${JSON.stringify(t.val)} not defined`, t);
        return { type: 'identifier', pos: t.pos, name: t.val };
      case 'dot': return { type: 'dot', pos: t.pos };
      case 'nil': return { type: 'nil', pos: t.pos };
      case 'variable': {
        if (!vars.includes(t.val)) fail(`undefined variable ${JSON.stringify(t.val)}`, t);
        const v: VariableNode = { type: 'variable', pos: t.pos, ident: [t.val] };
        return v;
      }
      case 'field': return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool': return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'char': {
        const ch = unquoteGo(t.val);
        return { type: 'number', pos: t.pos, text: t.val, isInt: true, value: ch.codePointAt(0) ?? 0 };
      }
      case 'number': return numberNode(t);
      case 'leftParen': return pipeline('parenthesized pipeline', 'rightParen');
      case 'string': case 'rawString': return { type: 'string', pos: t.pos, quoted: t.val, value: unquoteGo(t.val) };
      default:
        backup();
        return undefined;
    }
  }

  function numberNode(t: Token): ArgNode {
    const text = t.val.replace(/_/g, '');
    if (/i$/.test(text)) fail(`complex numbers are not supported: ${t.val}`, t);
    const hex = /^[+-]?0[xX]/.test(text);
    const isFloat = hex ? /[.pP]/.test(text) : /[.eE]/.test(text);
    let value: number;
    if (isFloat) value = hex ? Number.NaN : Number(text);
    else {
      const neg = text.startsWith('-');
      const body = text.replace(/^[+-]/, '');
      const radix = /^0[xX]/.test(body) ? 16 : /^0[oO]/.test(body) ? 8 : /^0[bB]/.test(body) ? 2 : /^0[0-7]+$/.test(body) ? 8 : 10;
      const digits = radix === 10 || /^0[0-7]+$/.test(body) ? body.replace(/^0(?=[0-7])/, '') : body.slice(2);
      value = parseInt(digits, radix) * (neg ? -1 : 1);
    }
    if (Number.isNaN(value)) fail(`illegal number syntax: ${JSON.stringify(t.val)}`, t);
    return { type: 'number', pos: t.pos, text: t.val, isInt: !isFloat, value };
  }
}

function argStringShort(n: ArgNode): string {
  return n.type === 'string' ? n.quoted : n.type === 'number' ? n.text : n.type;
}

function isEmpty(list: ListNode): boolean {
  return list.nodes.every((n) => n.type === 'text' && n.text.trim() === '');
}
