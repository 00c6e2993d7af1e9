// The parse tree of a Go template, with each node's source position and Go's String() form (error messages quote it).

export type Node = ListNode | TextNode | ActionNode | IfNode | RangeNode | WithNode | TemplateNode | BreakNode | ContinueNode;

export interface ListNode { type: 'list'; pos: number; nodes: Node[] }
export interface TextNode { type: 'text'; pos: number; text: string }
export interface ActionNode { type: 'action'; pos: number; line: number; pipe: PipeNode }
export interface BranchFields { pos: number; line: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
export interface IfNode extends BranchFields { type: 'if' }
export interface WithNode extends BranchFields { type: 'with' }
export interface RangeNode extends BranchFields { type: 'range' }
export interface TemplateNode { type: 'template'; pos: number; line: number; name: string; pipe?: PipeNode }
export interface BreakNode { type: 'break'; pos: number; line: number }
export interface ContinueNode { type: 'continue'; pos: number; line: number }

export interface PipeNode {
  type: 'pipe';
  pos: number;
  line: number;
  /** `=` rather than `:=`. */
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode { type: 'command'; pos: number; args: ArgNode[] }

export type ArgNode =
  | { type: 'identifier'; pos: number; name: string }
  | VariableNode
  | { type: 'field'; pos: number; ident: string[] }
  | { type: 'chain'; pos: number; node: ArgNode; field: string[] }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; value: boolean }
  | { type: 'number'; pos: number; text: string; isInt: boolean; value: number }
  | { type: 'string'; pos: number; quoted: string; value: string }
  | PipeNode;
export interface VariableNode { type: 'variable'; pos: number; ident: string[] }

export function pipeString(p: PipeNode): string {
  let s = '';
  if (p.decl.length > 0) s = `${p.decl.map(argString).join(', ')} ${p.isAssign ? '=' : ':='} `;
  return s + p.cmds.map(commandString).join(' | ');
}

export function commandString(c: CommandNode): string {
  return c.args.map((a) => (a.type === 'pipe' ? `(${pipeString(a)})` : argString(a))).join(' ');
}

export function argString(a: ArgNode): string {
  switch (a.type) {
    case 'identifier': return a.name;
    case 'variable': return a.ident.join('.');
    case 'field': return `.${a.ident.join('.')}`;
    case 'chain': return `${a.node.type === 'pipe' ? `(${pipeString(a.node)})` : argString(a.node)}.${a.field.join('.')}`;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return a.value ? 'true' : 'false';
    case 'number': return a.text;
    case 'string': return a.quoted;
    case 'pipe': return pipeString(a);
  }
}

/** String() of a node that can fail while executing (the `at <...>` part of an exec error). */
export function nodeString(n: Node | CommandNode | ArgNode): string {
  switch (n.type) {
    case 'action': return `{{${pipeString(n.pipe)}}}`;
    case 'template': return `{{template ${JSON.stringify(n.name)}${n.pipe ? ` ${pipeString(n.pipe)}` : ''}}}`;
    case 'if': case 'with': case 'range': return `{{${n.type} ${pipeString(n.pipe)}}}`;
    case 'command': return commandString(n);
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'list': case 'text': return '';
    default: return argString(n);
  }
}
