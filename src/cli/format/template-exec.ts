/**
 * The executor of Go's text/template (exec.go) over the value model of go-values.ts: pipelines, variables,
 * if/with/range (maps in sorted key order), break/continue, template calls, Go's argument checking, and
 * Go's error texts ("template: :1:2: executing \"\" at <.Foo>: ...").
 */
import { formatValue, quote } from './go-fmt.js';
import { GoStruct, byteLength, goTypeName, isPlainObject, isTrue, kindOf, numberOf, sortedKeys } from './go-values.js';
import { idealConstant, nodeString } from './template-parse.js';
import type {
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  PipeNode,
  RangeNode,
  TemplateNode,
  TreeSet,
  VariableNode,
} from './template-parse.js';
import type { CallContext, FuncDef, FuncMap, ParamType } from './template-funcs.js';

export class TemplateExecError extends Error {
  override readonly name = 'TemplateExecError';
}

export interface ExecOptions {
  /** Go's missingkey option: what a missing map key yields. */
  missingKey: 'default' | 'zero' | 'error';
  /**
   * Typed mode, used by inspect's first pass (docker executes on Go structs first): plain objects are Go
   * structs (a missing field is an error, range over them is an error) unless the field they were reached
   * through names a Go map, as this predicate tells (e.g. Labels).
   */
  isMapField?: (field: string, parent: string | undefined) => boolean;
  /** Whether `json` sorts the keys of plain objects it does not know to be structs (Go maps do). */
  sortMapKeys: boolean;
}

/** Distinguishes "no value piped in" from a missing (undefined) value. */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

/** Thrown by {{break}} and {{continue}}, caught by the enclosing range. */
class LoopSignal extends Error {}
const BREAK = new LoopSignal('break');
const CONTINUE = new LoopSignal('continue');

const MAX_EXEC_DEPTH = 100000;

interface Variable {
  name: string;
  value: unknown;
}

/**
 * Executes the template `name` of a parsed set on `data`. Like Go's Execute, output written before an
 * error is kept: it is returned along with the error.
 */
export function execute(
  treeSet: TreeSet,
  name: string,
  text: string,
  data: unknown,
  funcs: FuncMap,
  opts: ExecOptions,
): { output: string; error?: TemplateExecError } {
  const root = treeSet.get(name);
  if (root === undefined) {
    return { output: '', error: new TemplateExecError(`template: ${name}: ${quote(name)} is an incomplete or empty template`) };
  }
  const state = new State(treeSet, name, text, funcs, opts, data);
  try {
    state.walk(data, root);
  } catch (e) {
    if (e instanceof TemplateExecError) return { output: state.out, error: e };
    throw e;
  }
  return { output: state.out };
}

class State implements CallContext {
  out = '';
  private node: Node | undefined;
  private vars: Variable[];
  private depth = 0;
  /** Typed mode: plain objects known to be Go maps (reached through a map-typed field). */
  private readonly maps = new WeakSet<object>();

  /** The top-level template's name (Go's ParseName), used in error locations. */
  private readonly parseName: string;

  constructor(
    private readonly treeSet: TreeSet,
    private tmplName: string,
    private readonly text: string,
    private readonly funcs: FuncMap,
    private readonly opts: ExecOptions,
    data: unknown,
  ) {
    this.vars = [{ name: '$', value: data }];
    this.parseName = tmplName;
  }

  // --- errors -------------------------------------------------------------------------------------

  private errorf(msg: string): never {
    if (this.node === undefined) throw new TemplateExecError(`template: ${this.tmplName}: ${msg}`);
    const pos = this.node.pos;
    const before = this.text.slice(0, pos);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = nl < 0 ? byteLength(before) : byteLength(before.slice(nl + 1));
    throw new TemplateExecError(
      `template: ${this.parseName}:${line}:${col}: executing ${quote(this.tmplName)} at <${nodeString(this.node)}>: ${msg}`,
    );
  }

  private at(node: Node): void {
    this.node = node;
  }

  // --- variables ----------------------------------------------------------------------------------

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    (this.vars[this.vars.length - n] as Variable).value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // --- typed mode ---------------------------------------------------------------------------------

  private isStruct(v: unknown): boolean {
    return this.opts.isMapField !== undefined && isPlainObject(v) && !this.maps.has(v);
  }

  private noteField(value: unknown, field: string, parent: string | undefined): void {
    if (this.opts.isMapField && isPlainObject(value) && this.opts.isMapField(field, parent)) this.maps.add(value);
  }

  sortKeys(obj: Record<string, unknown>, key: string | undefined): boolean {
    if (this.opts.isMapField) return this.maps.has(obj) || (key !== undefined && this.opts.isMapField(key, undefined));
    return this.opts.sortMapKeys;
  }

  // --- walk ---------------------------------------------------------------------------------------

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node.type, dot, node.pipe, node.list, node.elseList);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out += node.text;
        return;
      case 'bool':
      case 'chain':
      case 'command':
      case 'dot':
      case 'field':
      case 'identifier':
      case 'nil':
      case 'number':
      case 'pipe':
      case 'string':
      case 'variable':
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(type: 'if' | 'with', dot: unknown, pipe: PipeNode, list: ListNode, elseList: ListNode | undefined): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, pipe);
      if (isTrue(val)) this.walk(type === 'with' ? val : dot, list);
      else if (elseList) this.walk(dot, elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, r: RangeNode): void {
    this.at(r);
    const mark0 = this.vars.length;
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const one = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar((decl[0] as VariableNode).ident[0] as string, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar((decl[1] as VariableNode).ident[0] as string, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = mark;
        }
      };
      const kind = kindOf(val);
      if (kind === 'slice' && (val as unknown[]).length > 0) {
        (val as unknown[]).forEach((e, i) => one(i, e));
        return;
      }
      if (kind === 'map' && isPlainObject(val) && !this.isStruct(val)) {
        const keys = sortedKeys(val);
        if (keys.length > 0) {
          for (const k of keys) one(k, val[k]);
          return;
        }
      } else if (kind === 'int') {
        if (decl.length > 1) this.errorf(`can't use ${formatValue(val)} to iterate over more than one variable`);
        const n = numberOf(val);
        if (n > 0) {
          for (let i = 0; i < n; i++) one(i, i);
          return;
        }
      } else if (kind !== 'invalid' && kind !== 'nil' && kind !== 'slice') {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.vars.length = mark0;
    }
  }

  private walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.treeSet.get(t.name);
    if (tree === undefined) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth === MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    const saved = { vars: this.vars, name: this.tmplName };
    this.depth++;
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = t.name;
    try {
      this.walk(newDot, tree);
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.tmplName = saved.name;
    }
  }

  // --- evaluation ---------------------------------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode | undefined): unknown {
    if (pipe === undefined) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // An interface{} holding nil unwraps to no value at all.
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      const name = v.ident[0] as string;
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0] as Node)}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0] as Node;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
      case 'bool':
      case 'dot':
      case 'nil':
      case 'number':
      case 'string':
        this.at(first);
        this.notAFunction(cmd.args, final);
        if (first.type === 'bool') return first.value;
        if (first.type === 'dot') return dot;
        if (first.type === 'number') return this.ideal(first);
        if (first.type === 'string') return first.text;
        return this.errorf('nil is not a command');
      case 'action':
      case 'break':
      case 'command':
      case 'continue':
      case 'if':
      case 'list':
      case 'range':
      case 'template':
      case 'text':
      case 'with':
        this.at(first);
        return this.errorf(`can't evaluate command ${quote(nodeString(first))}`);
    }
  }

  private ideal(n: Extract<Node, { type: 'number' }>): unknown {
    this.at(n);
    const r = idealConstant(n);
    if (typeof r === 'string') this.errorf(r);
    return r.value;
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: Node[] | undefined, final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: Node[] | undefined, final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, 'value', chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: unknown, v: VariableNode, args: Node[] | undefined, final: Final): unknown {
    this.at(v);
    const value = this.varValue(v.ident[0] as string);
    if (v.ident.length === 1) {
      if (args) this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: Node[] | undefined, final: Final): unknown {
    const n = ident.length;
    let parent: string | undefined;
    for (let i = 0; i < n - 1; i++) {
      receiver = this.evalField(dot, ident[i] as string, parent, node, undefined, MISSING, receiver);
      parent = ident[i];
    }
    return this.evalField(dot, ident[n - 1] as string, parent, node, args, final, receiver);
  }

  private evalField(
    dot: unknown,
    fieldName: string,
    parent: string | undefined,
    node: Node,
    args: Node[] | undefined,
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.opts.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    const method = (v: unknown): unknown =>
      this.evalCall(dot, { params: [], variadic: 'any', fn: (a) => (v as (...x: unknown[]) => unknown)(...a) }, node, fieldName, args, final, true);
    if (receiver instanceof GoStruct) {
      if (!receiver.has(fieldName)) this.errorf(`can't evaluate field ${fieldName} in type ${receiver.typeName}`);
      const v = receiver.fields[fieldName];
      if (typeof v === 'function') return method(v);
      if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return v;
    }
    if (isPlainObject(receiver)) {
      const present = Object.prototype.hasOwnProperty.call(receiver, fieldName);
      const v = present ? receiver[fieldName] : undefined;
      if (typeof v === 'function') return method(v);
      if (this.isStruct(receiver)) {
        if (!present) this.errorf(`can't evaluate field ${fieldName} in type struct`);
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        this.noteField(v, fieldName, parent);
        return v;
      }
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (!present) {
        switch (this.opts.missingKey) {
          case 'error':
            return this.errorf(`map has no entry for key ${quote(fieldName)}`);
          case 'zero':
            return Object.values(receiver).every((e) => typeof e === 'string') ? '' : undefined;
          case 'default':
            return undefined;
        }
      }
      this.noteField(v, fieldName, parent);
      return v;
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: Node, args: Node[] | undefined, final: Final): unknown {
    this.at(node);
    const def = this.funcs.get(node.ident);
    if (def === undefined) this.errorf(`${quote(node.ident)} is not a defined function`);
    return this.evalCall(dot, def, cmd, node.ident, args, final, false);
  }

  /** Calls a function or method; `args`, when present, starts with the function's own node. */
  private evalCall(dot: unknown, def: FuncDef, node: Node, name: string, args: Node[] | undefined, final: Final, isMethod: boolean): unknown {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    const numFixed = def.params.length;
    if (!isMethod) {
      if (def.variadic !== undefined) {
        if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
      } else if (numIn !== numFixed) {
        this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
      }
    }
    if (def.special !== undefined) {
      // and/or: evaluate left to right, stop at the first false (and) or true (or) argument.
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, 'value', a);
        if (isTrue(v) === (def.special === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) argv.push(this.evalArg(dot, def.params[i] as ParamType, argNodes[i] as Node));
    if (def.variadic !== undefined) {
      for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, def.variadic, argNodes[i] as Node));
    }
    if (final !== MISSING) {
      const t = numIn - 1 < numFixed ? (def.params[numIn - 1] as ParamType) : (def.variadic ?? 'any');
      argv.push(this.validateType(final, t));
    }
    try {
      return def.fn(argv, this);
    } catch (e) {
      if (e instanceof TemplateExecError || e === BREAK || e === CONTINUE) throw e;
      this.at(node);
      return this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(value: unknown, type: ParamType): unknown {
    if (value === undefined) {
      switch (type) {
        case 'value':
          return undefined;
        case 'any':
          return null;
        case 'strings':
          return [];
        case 'string':
          return this.errorf('invalid value; expected string');
        case 'int':
          return this.errorf('invalid value; expected int');
      }
    }
    const got = value === null ? 'interface {}' : goTypeName(value);
    switch (type) {
      case 'value':
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : this.errorf(`wrong type for value; expected string; got ${got}`);
      case 'int':
        return kindOf(value) === 'int' ? numberOf(value) : this.errorf(`wrong type for value; expected int; got ${got}`);
      case 'strings':
        return Array.isArray(value) && value.every((e) => typeof e === 'string')
          ? value
          : this.errorf(`wrong type for value; expected []string; got ${got}`);
    }
  }

  private evalArg(dot: unknown, type: ParamType, n: Node): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, type);
      case 'nil':
        if (type === 'string' || type === 'int') this.errorf(`cannot assign nil to ${type}`);
        return type === 'value' ? undefined : null;
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), type);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, undefined, MISSING), type);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), type);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, undefined, MISSING), type);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, undefined, MISSING), type);
      case 'bool':
      case 'number':
      case 'string':
        return this.evalLiteral(type, n);
      case 'action':
      case 'break':
      case 'command':
      case 'continue':
      case 'if':
      case 'list':
      case 'range':
      case 'template':
      case 'text':
      case 'with':
        return this.errorf(`can't handle ${nodeString(n)} for arg of type ${type}`);
    }
  }

  /** A literal argument converted to the parameter's type, as Go's evalBool/evalString/evalInteger do. */
  private evalLiteral(type: ParamType, n: Extract<Node, { type: 'bool' | 'number' | 'string' }>): unknown {
    switch (type) {
      case 'string':
        if (n.type === 'string') return n.text;
        return this.errorf(`expected string; found ${nodeString(n)}`);
      case 'int':
        if (n.type === 'number' && n.isInt) return Number(n.int);
        return this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'strings':
        return this.errorf(`can't handle ${nodeString(n)} for arg of type []string`);
      case 'any':
      case 'value':
        if (n.type === 'bool') return n.value;
        if (n.type === 'number') return this.ideal(n);
        return n.text;
    }
  }

  private printValue(node: Node, v: unknown): void {
    this.at(node);
    this.out += v === undefined ? '<no value>' : formatValue(v);
  }
}
