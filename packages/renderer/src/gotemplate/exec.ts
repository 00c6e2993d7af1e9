// Runs a parsed Go template: pipelines, variables, control structures and template calls with text/template's
// semantics (field/map access, missingkey, truthiness, printing), failing with Go's error messages.

import { nodeString, type ArgNode, type CommandNode, type ListNode, type Node, type PipeNode } from './ast';
import { ArgTypeError, TemplateExecError, errorContext, position } from './errors';
import { formatForTemplate, formatValue } from './format';
import type { ParsedTemplate } from './parser';
import { GoCallError, GoChan, GoFloat, GoFunc, GoMap, GoStruct, goTypeName, isTrue, listItems, sortedKeys, type GoValue } from './values';

export interface GoFunction {
  /** Argument count; `max` undefined means variadic. */
  arity: { min: number; max?: number };
  call(args: GoValue[]): GoValue;
}

export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecOptions {
  functions: ReadonlyMap<string, GoFunction>;
  /** consul-template runs with 'zero' (or 'error' when error_on_missing_key); Go's own default is 'default'. */
  missingKey: MissingKey;
}

/** The table entry of consul-template's executeTemplate, which the executor runs itself (it needs the template set). */
export const EXECUTE_TEMPLATE: GoFunction = { arity: { min: 1, max: 2 }, call: () => undefined };

/** Go stops runaway template recursion; so do we (JS stacks are smaller than Go's, hence the lower bound). */
const MAX_DEPTH = 1000;
const NO_FINAL = Symbol('no final');
type Final = GoValue | typeof NO_FINAL;
class BreakSignal {}
class ContinueSignal {}
type ErrorNode = Node | CommandNode | ArgNode;

export function execute(tree: ParsedTemplate, data: GoValue, options: ExecOptions): string {
  const out: string[] = [];
  new Executor(tree, options, out, tree.name, [{ name: '$', value: data }], 0).walkList(data, rootOf(tree, tree.name));
  return out.join('');
}

function rootOf(tree: ParsedTemplate, name: string): ListNode {
  const root = tree.templates.get(name);
  if (!root) throw new Error(`template: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(tree.name)}`);
  return root;
}

class Executor {
  constructor(
    private readonly tree: ParsedTemplate,
    private readonly options: ExecOptions,
    private readonly out: string[],
    private readonly executing: string,
    private vars: { name: string; value: GoValue }[],
    private readonly depth: number,
  ) {}

  fail(node: ErrorNode, detail: string): never {
    const { line, column } = position(this.tree.source, node.pos);
    throw new TemplateExecError(this.tree.name, line, column, errorContext(nodeString(node)), detail, this.executing);
  }

  walkList(dot: GoValue, list: ListNode): void {
    for (const node of list.nodes) this.walk(dot, node);
  }

  private walk(dot: GoValue, node: Node): void {
    switch (node.type) {
      case 'list': return this.walkList(dot, node);
      case 'text': this.out.push(node.text); return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.print(node, value);
        return;
      }
      case 'if': case 'with': {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (isTrue(value)) this.walkList(node.type === 'with' ? value : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range': return this.walkRange(dot, node);
      case 'template': {
        if (!this.tree.templates.has(node.name)) this.fail(node, `template ${JSON.stringify(node.name)} not defined`);
        if (this.depth >= MAX_DEPTH) this.fail(node, `exceeded maximum template depth (${MAX_DEPTH})`);
        const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
        const sub = new Executor(this.tree, this.options, this.out, node.name, [{ name: '$', value: newDot }], this.depth + 1);
        sub.walkList(newDot, rootOf(this.tree, node.name));
        return;
      }
      case 'break': throw new BreakSignal();
      case 'continue': throw new ContinueSignal();
    }
  }

  private walkRange(dot: GoValue, node: Extract<Node, { type: 'range' }>): void {
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, node.pipe);
    const decl = node.pipe.decl.length;
    // Variables the body declares live for one iteration (exec.go walkRange pops to this mark).
    const bodyMark = this.vars.length;
    let iterations = 0;
    const one = (index: GoValue, elem: GoValue): boolean => {
      iterations++;
      if (decl > 0) {
        if (decl > 1) {
          this.vars[this.vars.length - 2].value = index;
          this.vars[this.vars.length - 1].value = elem;
        } else this.vars[this.vars.length - 1].value = elem;
      }
      try {
        this.walkList(elem, node.list);
      } catch (signal) {
        if (signal instanceof BreakSignal) return false;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        this.vars.length = bodyMark;
      }
      return true;
    };
    const items = listItems(value);
    if (items) {
      for (let i = 0; i < items.length; i++) if (!one(i, items[i])) break;
    } else if (value instanceof GoMap) {
      for (const key of sortedKeys(value)) if (!one(key, value.entries.get(key))) break;
    } else if (typeof value === 'number') {
      if (decl > 1) this.fail(node, `can't use ${value} to iterate over more than one variable`);
      for (let i = 0; i < value; i++) if (!one(i, i)) break;
    } else if (value instanceof GoChan) {
      if (decl > 1) this.fail(node, `can't use ${formatValue(value)} to iterate over more than one variable`);
      for (let i = 0; i < value.items.length; i++) if (!one(i, value.items[i])) break;
    } else if (value !== undefined && value !== null) {
      this.fail(node, `range can't iterate over ${formatForTemplate(value)}`);
    }
    if (iterations === 0 && node.elseList) this.walkList(dot, node.elseList);
    this.vars.length = mark;
  }

  private print(node: Node, value: GoValue): void {
    if (value === undefined) {
      this.out.push('<no value>');
      return;
    }
    if (value instanceof GoChan || value instanceof GoFunc) this.fail(node, `can't print ${nodeString(node)} of type ${goTypeName(value)}`);
    this.out.push(formatForTemplate(value));
  }

  evalPipeline(dot: GoValue, pipe: PipeNode): GoValue {
    let value: GoValue = undefined;
    let final: Final = NO_FINAL;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, final);
      // A nil interface{} result is "no value" (Go digs into interface values after each command).
      if (value === null) value = undefined;
      final = value;
    }
    for (const v of pipe.decl) {
      const name = v.ident[0];
      if (pipe.isAssign) {
        const slot = [...this.vars].reverse().find((s) => s.name === name);
        if (!slot) this.fail(v, `undefined variable: ${name}`);
        slot.value = value;
      } else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: GoValue, cmd: CommandNode, final: Final): GoValue {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field': return this.evalFieldChain(dot, dot, first, first.ident, cmd, final);
      case 'chain': return this.evalFieldChain(dot, this.evalArg(dot, first.node), first, first.field, cmd, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, final);
      case 'variable': {
        const value = this.variable(first, first.ident[0]);
        if (first.ident.length === 1) {
          this.notAFunction(cmd, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first, first.ident.slice(1), cmd, final);
      }
      case 'pipe':
        this.notAFunction(cmd, final);
        return this.evalPipeline(dot, first);
      case 'nil': return this.fail(first, 'nil is not a command');
      default:
        this.notAFunction(cmd, final);
        return this.evalArg(dot, first);
    }
  }

  private notAFunction(cmd: CommandNode, final: Final): void {
    if (cmd.args.length > 1 || final !== NO_FINAL) this.fail(cmd.args[0], `can't give argument to non-function ${nodeString(cmd.args[0])}`);
  }

  private variable(node: ArgNode, name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.fail(node, `undefined variable: ${name}`);
  }

  evalArg(dot: GoValue, n: ArgNode): GoValue {
    switch (n.type) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'field': return this.evalFieldChain(dot, dot, n, n.ident, undefined, NO_FINAL);
      case 'variable': {
        const value = this.variable(n, n.ident[0]);
        return n.ident.length === 1 ? value : this.evalFieldChain(dot, value, n, n.ident.slice(1), undefined, NO_FINAL);
      }
      case 'chain': return this.evalFieldChain(dot, this.evalArg(dot, n.node), n, n.field, undefined, NO_FINAL);
      case 'pipe': return this.evalPipeline(dot, n);
      case 'identifier': return this.evalFunction(dot, n, undefined, NO_FINAL);
      case 'bool': return n.value;
      case 'number': return n.isInt ? n.value : new GoFloat(n.value);
      case 'string': return n.value;
    }
  }

  private evalFieldChain(dot: GoValue, receiver: GoValue, node: ArgNode, ident: string[], cmd: CommandNode | undefined, final: Final): GoValue {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = this.evalField(dot, ident[i], node, undefined, NO_FINAL, r);
    return this.evalField(dot, ident[ident.length - 1], node, cmd, final, r);
  }

  private evalField(dot: GoValue, name: string, node: ArgNode, cmd: CommandNode | undefined, final: Final, receiver: GoValue): GoValue {
    const hasArgs = (cmd !== undefined && cmd.args.length > 1) || final !== NO_FINAL;
    if (receiver === undefined) {
      if (this.options.missingKey === 'error') this.fail(node, `nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver instanceof GoStruct) {
      const method = receiver.methods.get(name);
      if (method) return this.callFunction(dot, name, { arity: method.arity, call: method.fn }, node, cmd, final);
      if (receiver.fields.has(name)) {
        if (hasArgs) this.fail(node, `${name} has arguments but cannot be invoked as function`);
        return receiver.fields.get(name);
      }
    }
    if (receiver instanceof GoMap) {
      if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
      if (receiver.entries.has(name)) return receiver.entries.get(name);
      if (this.options.missingKey === 'error') this.fail(node, `map has no entry for key ${JSON.stringify(name)}`);
      return this.options.missingKey === 'zero' ? receiver.zero : undefined;
    }
    if (receiver === null) this.fail(node, `nil pointer evaluating interface {}.${name}`);
    return this.fail(node, `can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: GoValue, node: Extract<ArgNode, { type: 'identifier' }>, cmd: CommandNode | undefined, final: Final): GoValue {
    const name = node.name;
    if (name === 'and' || name === 'or') return this.evalAndOr(dot, name, node, cmd, final);
    const fn = this.options.functions.get(name);
    if (fn === EXECUTE_TEMPLATE) return this.executeTemplate(dot, node, cmd, final);
    if (!fn) this.fail(node, `${JSON.stringify(name)} is not a defined function`);
    return this.callFunction(dot, name, fn, node, cmd, final);
  }

  /** and/or stop at the first falsy/truthy argument, unevaluated ones included (Go 1.18+). */
  private evalAndOr(dot: GoValue, name: 'and' | 'or', node: ArgNode, cmd: CommandNode | undefined, final: Final): GoValue {
    const args = cmd ? cmd.args.slice(1) : [];
    if (args.length + (final === NO_FINAL ? 0 : 1) < 1) this.fail(node, `wrong number of args for ${name}: want at least 1 got 0`);
    let value: GoValue = undefined;
    for (const arg of args) {
      value = this.evalArg(dot, arg);
      if (isTrue(value) === (name === 'or')) return value;
    }
    if (final !== NO_FINAL) value = final;
    return value;
  }

  /** consul-template's executeTemplate: a defined template run with an optional dot, its output as a string. */
  private executeTemplate(dot: GoValue, node: ArgNode, cmd: CommandNode | undefined, final: Final): GoValue {
    const run: GoFunction = {
      arity: { min: 0 },
      call: (args) => {
        if (args.length < 1 || args.length > 2) throw new GoCallError(`executeTemplate: wrong number of arguments, expected 1 or 2, but got ${args.length}`);
        const [name, data] = args;
        if (typeof name !== 'string') throw new GoCallError(`wrong type for value; expected string; got ${goTypeName(name)}`);
        const root = this.tree.templates.get(name);
        if (!root) throw new GoCallError(`template: no template ${JSON.stringify(name)} associated with template ${JSON.stringify(this.tree.name)}`);
        if (this.depth >= MAX_DEPTH) this.fail(node, `exceeded maximum template depth (${MAX_DEPTH})`);
        const out: string[] = [];
        new Executor(this.tree, this.options, out, name, [{ name: '$', value: data }], this.depth + 1).walkList(data, root);
        return out.join('');
      },
    };
    return this.callFunction(dot, 'executeTemplate', run, node, cmd, final);
  }

  private callFunction(dot: GoValue, name: string, fn: GoFunction, node: ArgNode, cmd: CommandNode | undefined, final: Final): GoValue {
    const argNodes = cmd ? cmd.args.slice(1) : [];
    const count = argNodes.length + (final === NO_FINAL ? 0 : 1);
    const { min, max } = fn.arity;
    if (max === undefined ? count < min : count !== min && !(count >= min && count <= max)) {
      const want = max === undefined ? `at least ${min}` : String(min === max ? min : count < min ? min : max);
      this.fail(node, `wrong number of args for ${name}: want ${want} got ${count}`);
    }
    const args = argNodes.map((a) => this.evalArg(dot, a));
    if (final !== NO_FINAL) args.push(final);
    try {
      return fn.call(args);
    } catch (err) {
      if (err instanceof ArgTypeError) {
        const at = argNodes[err.index] ?? cmd ?? node;
        this.fail(at, err.message);
      }
      if (err instanceof GoCallError) this.fail(cmd ?? node, `error calling ${name}: ${err.message}`);
      if (err instanceof TemplateExecError) throw err;
      throw err;
    }
  }
}
