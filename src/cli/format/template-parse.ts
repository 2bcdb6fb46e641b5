/**
 * The parser of Go's text/template (parse/parse.go and node.go): builds the tree, checks that functions and
 * variables are defined, and fails with Go's messages ("template: :1: unexpected EOF").
 */
import { quote } from './go-fmt.js';
import { GoFloat } from './go-values.js';
import { lex, tokenString } from './template-lex.js';
import type { Token, TokenType } from './template-lex.js';

export type Node =
  | TextNode
  | ActionNode
  | IfNode
  | RangeNode
  | WithNode
  | ListNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | PipeNode
  | CommandNode
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode;

export interface TextNode { type: 'text'; pos: number; text: string }
export interface ActionNode { type: 'action'; pos: number; line: number; pipe: PipeNode }
export interface BranchFields { pos: number; line: number; pipe: PipeNode; list: ListNode; elseList: ListNode | undefined }
export interface IfNode extends BranchFields { type: 'if' }
export interface RangeNode extends BranchFields { type: 'range' }
export interface WithNode extends BranchFields { type: 'with' }
export interface ListNode { type: 'list'; pos: number; nodes: Node[] }
export interface TemplateNode { type: 'template'; pos: number; line: number; name: string; pipe: PipeNode | undefined }
export interface BreakNode { type: 'break'; pos: number; line: number }
export interface ContinueNode { type: 'continue'; pos: number; line: number }
export interface PipeNode { type: 'pipe'; pos: number; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { type: 'command'; pos: number; args: Node[] }
export interface FieldNode { type: 'field'; pos: number; ident: string[] }
export interface VariableNode { type: 'variable'; pos: number; ident: string[] }
export interface ChainNode { type: 'chain'; pos: number; node: Node; field: string[] }
export interface IdentifierNode { type: 'identifier'; pos: number; ident: string }
export interface DotNode { type: 'dot'; pos: number }
export interface NilNode { type: 'nil'; pos: number }
export interface BoolNode { type: 'bool'; pos: number; value: boolean }
export interface StringNode { type: 'string'; pos: number; quoted: string; text: string }
export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  /** The integer value when isInt or isUint. */
  int: bigint;
  float: number;
}

interface EndNode { type: 'end'; pos: number }
interface ElseNode { type: 'else'; pos: number; line: number }
type ListItem = Node | EndNode | ElseNode;

/** A node as Go's String() prints it; used in "executing at <...>" messages. */
export function nodeString(n: Node | EndNode | ElseNode): string {
  switch (n.type) {
    case 'text':
      return n.text;
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with':
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ''}{{end}}`;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'template':
      return n.pipe ? `{{template ${quote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${quote(n.name)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'field':
      return n.ident.map((i) => '.' + i).join('');
    case 'variable':
      return n.ident.join('.');
    case 'chain':
      return (n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.field.map((f) => '.' + f).join('');
    case 'identifier':
      return n.ident;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}

export class TemplateParseError extends Error {
  override readonly name = 'TemplateParseError';
}

/** The parsed trees of one template text: the main one under `name`, plus any {{define}}d ones. */
export type TreeSet = Map<string, ListNode>;

/**
 * Parses a template. `hasFunction` tells which identifiers are functions (Go checks them at parse time).
 * Throws TemplateParseError with Go's message.
 */
export function parse(name: string, text: string, hasFunction: (name: string) => boolean): TreeSet {
  const treeSet: TreeSet = new Map();
  new Parser(name, text, hasFunction, treeSet).parseTop();
  return treeSet;
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  /** Index of the furthest token read, by next or peek (Go's token[0]): its line is the one errors report. */
  private furthest = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  private stackDepth = 0;

  constructor(
    private readonly treeName: string,
    private readonly text: string,
    private readonly hasFunction: (name: string) => boolean,
    private readonly treeSet: TreeSet,
    tokens?: Token[],
  ) {
    this.tokens = tokens ?? lex(text);
  }

  // --- token stream -------------------------------------------------------------------------------

  /** The token at `i`; past the end, the final eof/error token again. */
  private at(i: number): Token {
    const t = this.tokens[Math.min(i, this.tokens.length - 1)];
    if (t === undefined) throw new TemplateParseError('template: internal error: no tokens');
    return t;
  }
  private next(): Token {
    const t = this.at(this.i);
    this.furthest = Math.max(this.furthest, this.i);
    if (this.i < this.tokens.length) this.i++;
    return t;
  }
  private backup(): void {
    this.i--;
  }
  private peek(): Token {
    this.furthest = Math.max(this.furthest, this.i);
    return this.at(this.i);
  }
  private nextNonSpace(): Token {
    let t: Token;
    do t = this.next();
    while (t.type === 'space');
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  private errorf(msg: string): never {
    throw new TemplateParseError(`template: ${this.treeName}:${this.at(this.furthest).line}: ${msg}`);
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): never {
    if (t.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.treeName}:${this.actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${t.val}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  // --- grammar ------------------------------------------------------------------------------------

  parseTop(): void {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const delimAt = this.i;
        this.next();
        if (this.nextNonSpace().type === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = delimAt;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    this.add(this.treeName, root);
  }

  private add(name: string, root: ListNode): void {
    const existing = this.treeSet.get(name);
    if (existing === undefined || isEmptyTree(existing)) {
      this.treeSet.set(name, root);
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quote(name)}`);
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const t = this.nextNonSpace();
    if (t.type !== 'string' && t.type !== 'rawString') this.unexpected(t, context);
    const name = this.unquote(t.val);
    this.expect('rightDelim', context);
    const savedVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.vars = savedVars;
    this.add(name, list);
  }

  private itemList(): [ListNode, EndNode | ElseNode] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): ListItem {
    const t = this.nextNonSpace();
    if (t.type === 'text') return { type: 'text', pos: t.pos, text: t.val };
    if (t.type !== 'leftDelim') this.unexpected(t, 'input');
    this.actionLine = t.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  private action(): ListItem {
    const t = this.nextNonSpace();
    // Token types are not a discriminated union: only keywords matter here, the rest start a pipeline.
    switch (t.type as string) {
      case 'block':
        return this.blockControl();
      case 'break':
        return this.breakControl(t, 'break');
      case 'continue':
        return this.breakControl(t, 'continue');
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return { type: 'if', ...this.parseControl('if') };
      case 'range':
        return { type: 'range', ...this.parseControl('range') };
      case 'template':
        return this.templateControl();
      case 'with':
        return { type: 'with', ...this.parseControl('with') };
      default:
    }
    this.backup();
    const first = this.peek();
    return { type: 'action', pos: first.pos, line: first.line, pipe: this.pipeline('command', 'rightDelim') };
  }

  private breakControl(t: Token, kind: 'break' | 'continue'): BreakNode | ContinueNode {
    const n = this.nextNonSpace();
    if (n.type !== 'rightDelim') this.unexpected(n, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { type: kind, pos: t.pos, line: t.line };
  }

  private elseControl(): ElseNode {
    const p = this.peekNonSpace();
    // "{{else if" and "{{else with" are "{{else}}{{if" with the extra {{end}} implied.
    if (p.type === 'if' || p.type === 'with') return { type: 'else', pos: p.pos, line: p.line };
    const t = this.expect('rightDelim', 'else');
    return { type: 'else', pos: t.pos, line: t.line };
  }

  private parseControl(context: 'if' | 'range' | 'with'): BranchFields {
    const varsMark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let list: ListNode;
      let next: EndNode | ElseNode;
      try {
        [list, next] = this.itemList();
      } finally {
        if (context === 'range') this.rangeDepth--;
      }
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        if ((context === 'if' && this.peek().type === 'if') || (context === 'with' && this.peek().type === 'with')) {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [{ type: context, ...this.parseControl(context) }] };
        } else {
          let end: EndNode | ElseNode;
          [elseList, end] = this.itemList();
          if (end.type !== 'end') this.errorf(`expected end; found ${nodeString(end)}`);
        }
      }
      return { pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = varsMark;
    }
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const savedVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.vars = savedVars;
    this.add(name, list);
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private templateName(t: Token, context: string): string {
    if (t.type === 'string' || t.type === 'rawString') return this.unquote(t.val);
    this.unexpected(t, context);
  }

  private pipeline(context: string, end: TokenType): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    // Declarations or assignments: "$x :=", "$x =", "$i, $e :=" (range only).
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const at = this.i;
      this.nextNonSpace();
      const n = this.peekNonSpace();
      if (n.type === 'assign' || n.type === 'declare') {
        pipe.isAssign = n.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
      } else if (n.type === 'char' && n.val === ',') {
        this.nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().type;
          if (p === 'variable' || p === 'rightDelim' || p === 'rightParen') continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else {
        this.i = at;
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      switch (t.type as string) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]?.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== 'field') return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
      case 'action':
      case 'break':
      case 'chain':
      case 'command':
      case 'continue':
      case 'identifier':
      case 'if':
      case 'list':
      case 'pipe':
      case 'range':
      case 'template':
      case 'text':
      case 'with':
        return { type: 'chain', pos: chainPos, node, field: fields };
    }
  }

  private term(): Node | undefined {
    const t = this.nextNonSpace();
    switch (t.type as string) {
      case 'identifier':
        if (!this.hasFunction(t.val)) this.errorf(`function ${quote(t.val)} not defined`);
        return { type: 'identifier', pos: t.pos, ident: t.val };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'variable':
        return this.useVar(t);
      case 'field':
        return { type: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.number(t);
      case 'leftParen': {
        if (this.stackDepth >= 10000) this.errorf('max expression depth exceeded');
        this.stackDepth++;
        try {
          return this.pipeline('parenthesized pipeline', 'rightParen');
        } finally {
          this.stackDepth--;
        }
      }
      case 'string':
      case 'rawString':
        return { type: 'string', pos: t.pos, quoted: t.val, text: this.unquote(t.val) };
      default:
        this.backup();
        return undefined;
    }
  }

  private useVar(t: Token): VariableNode {
    const ident = t.val.split('.');
    const name = ident[0] as string;
    if (!this.vars.includes(name)) this.errorf(`undefined variable ${quote(name)}`);
    return { type: 'variable', pos: t.pos, ident };
  }

  private unquote(s: string): string {
    const r = unquoteGo(s);
    if (r === undefined) this.errorf('invalid syntax');
    return r;
  }

  private number(t: Token): NumberNode {
    const n = parseNumber(t.pos, t.val, t.type);
    if (typeof n === 'string') this.errorf(n);
    return n;
  }
}

function isEmptyTree(n: ListNode): boolean {
  return n.nodes.every((c) => c.type === 'text' && c.text.trim() === '');
}

/** strconv.Unquote for "…" (Go escapes), `…` (raw) and '…' (one rune); undefined when malformed. */
export function unquoteGo(s: string): string | undefined {
  if (s.length < 2) return undefined;
  const q = s[0];
  if (q !== s[s.length - 1]) return undefined;
  const body = s.slice(1, -1);
  if (q === '`') return body.includes('`') ? undefined : body.replace(/\r/g, '');
  if (q !== '"' && q !== "'") return undefined;
  let out = '';
  for (let i = 0; i < body.length; ) {
    const ch = body[i] as string;
    if (ch === q || ch === '\n') return undefined;
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    switch (e ?? '') {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case "'":
      case '"':
        if (e !== q) return undefined;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i, i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
        const cp = parseInt(hex, 16);
        if (e === 'x') out += String.fromCharCode(cp); // a byte; Go would keep it raw
        else if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        else out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      default:
        if (e !== undefined && e >= '0' && e <= '7') {
          const oct = body.slice(i - 1, i + 2);
          if (!/^[0-7]{3}$/.test(oct)) return undefined;
          const v = parseInt(oct, 8);
          if (v > 255) return undefined;
          out += String.fromCharCode(v);
          i += 2;
          break;
        }
        return undefined;
    }
  }
  if (q === "'" && Array.from(out).length !== 1) return undefined;
  return out;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** strconv.ParseInt/ParseUint with base 0 (prefixes, underscores); undefined when not an integer. */
function parseGoInt(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  let body = m[2] as string;
  const hasPrefix = /^0[xXoObB]/.test(body) || (body.length > 1 && body[0] === '0');
  if (body.includes('_')) {
    // Go allows underscores only between digits, or after a base prefix.
    if (!hasPrefix && body.length > 0 && !/^[1-9](_?[0-9])*$/.test(body)) return undefined;
    if (/__|_$/.test(body)) return undefined;
    body = body.replace(/_/g, '');
  }
  let v: bigint;
  if (/^0[oO]/.test(body)) v = BigInt('0o' + body.slice(2));
  else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
  else v = BigInt(body);
  return sign * v;
}

/** parse.newNumber: classifies a number literal as int / uint / float, or returns Go's error text. */
export function parseNumber(pos: number, text: string, type: TokenType): NumberNode | string {
  const n: NumberNode = { type: 'number', pos, text, isInt: false, isUint: false, isFloat: false, int: 0n, float: 0 };
  if (type === 'charConstant') {
    const r = unquoteGo(text);
    if (r === undefined) return `malformed character constant: ${text}`;
    const cp = r.codePointAt(0) as number;
    return { ...n, isInt: true, isUint: true, isFloat: true, int: BigInt(cp), float: cp };
  }
  if (type === 'complex' || text.endsWith('i')) return `illegal number syntax: ${quote(text)}`;
  const i = parseGoInt(text);
  if (i !== undefined) {
    if (i >= 0n && i <= UINT64_MAX) {
      n.isUint = true;
      n.int = i;
    }
    if (i >= INT64_MIN && i <= INT64_MAX) {
      n.isInt = true;
      n.int = i;
    }
  }
  if (n.isInt || n.isUint) {
    n.isFloat = true;
    n.float = Number(n.int);
  } else if (/^[+-]?(\d[\d_]*\.?[\d_]*([eE][+-]?\d+)?|\.\d[\d_]*([eE][+-]?\d+)?)$/.test(text) && !/__|_$|^_/.test(text)) {
    const f = Number(text.replace(/_/g, ''));
    if (Number.isNaN(f)) return `illegal number syntax: ${quote(text)}`;
    if (!/[.eEpP]/.test(text)) return `integer overflow: ${quote(text)}`;
    n.isFloat = true;
    n.float = f;
    if (Number.isInteger(f)) {
      const b = BigInt(f);
      if (b >= INT64_MIN && b <= INT64_MAX) {
        n.isInt = true;
        n.int = b;
      }
      if (b >= 0n && b <= UINT64_MAX) {
        n.isUint = true;
        n.int = b;
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) return `illegal number syntax: ${quote(text)}`;
  return n;
}

/** The value of a number literal where no type is known (exec.go idealConstant), or Go's error text. */
export function idealConstant(n: NumberNode): { value: unknown } | string {
  const isRune = n.text.startsWith("'");
  const isHexInt = /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
  if (n.isFloat && !isHexInt && !isRune && /[.eEpP]/.test(n.text)) {
    return { value: Number.isInteger(n.float) ? new GoFloat(n.float) : n.float };
  }
  if (n.isInt) return { value: Number(n.int) === Number(n.int) && Number.isSafeInteger(Number(n.int)) ? Number(n.int) : n.int };
  if (n.isUint) return `${n.text} overflows int`;
  return { value: undefined };
}

