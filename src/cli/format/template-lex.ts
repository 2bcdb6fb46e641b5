/**
 * The lexer of Go's text/template (parse/lex.go), with the default "{{" "}}" delimiters: trim markers
 * ("{{- " and " -}}"), comments, actions spanning lines, and Go's error texts. Scanning stops at the first
 * error, which becomes the last token; the parser reports it when it reaches it, as Go's does.
 */
import { quote } from './go-fmt.js';

export type TokenType =
  | 'error'
  | 'bool'
  | 'char' // a printable ASCII character: the grab bag for ',' and the like
  | 'charConstant'
  | 'complex'
  | 'assign' // =
  | 'declare' // :=
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

const keywords: ReadonlySet<string> = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'nil',
  'range',
  'template',
  'with',
]);

export interface Token {
  type: TokenType;
  /** Offset in the input (UTF-16 units). */
  pos: number;
  val: string;
  /** 1-based line of the token's start. */
  line: number;
}

/** How a token reads in "unexpected X in Y" messages (lex.go item.String). */
export function tokenString(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'error') return t.val;
  if (keywords.has(t.type) || t.type === 'dot') return `<${t.val}>`;
  const rs = Array.from(t.val);
  if (rs.length > 10) return `${quote(rs.slice(0, 10).join(''))}...`;
  return quote(t.val);
}

const LEFT = '{{';
const RIGHT = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && (c === '_' || /^[\p{L}\p{Nd}]$/u.test(c));
const hasLeftTrimMarker = (s: string, at: number): boolean => s[at] === '-' && isSpace(s[at + 1]);
const hasRightTrimMarker = (s: string, at: number): boolean => isSpace(s[at]) && s[at + 1] === '-';

/** "%#U" of a code point: U+0078 'x'. */
function fmtU(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}

/** Scans the whole template into tokens, ending with an 'eof' or an 'error' token. */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0; // current position
  let start = 0; // start of the pending token
  let line = 1; // line at `pos`
  let startLine = 1; // line at `start`
  let parenDepth = 0;

  const countNL = (s: string): number => {
    let n = 0;
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
    return n;
  };
  const emit = (type: TokenType): void => {
    tokens.push({ type, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countNL(input.slice(start, pos));
    start = pos;
    startLine = line;
  };
  const peekChar = (): string | undefined => {
    const cp = input.codePointAt(pos);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  };
  const next = (): string | undefined => {
    const ch = peekChar();
    if (ch === undefined) return undefined;
    pos += ch.length;
    if (ch === '\n') line++;
    return ch;
  };
  const backup = (ch: string | undefined): void => {
    if (ch === undefined) return;
    pos -= ch.length;
    if (ch === '\n') line--;
  };
  const accept = (valid: string): boolean => {
    const ch = next();
    if (ch !== undefined && valid.includes(ch)) return true;
    backup(ch);
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const ch = next();
      if (ch === undefined || !valid.includes(ch)) {
        backup(ch);
        return;
      }
    }
  };
  /** Whether the lexer is at "}}", possibly with a trim marker before it. */
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peekChar();
    if (r === undefined || isSpace(r)) return true;
    return '.,|:)('.includes(r) || r === RIGHT[0];
  };
  const errorf = (msg: string): false => {
    tokens.push({ type: 'error', pos: start, val: msg, line: startLine });
    return false;
  };

  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peekChar())) {
      next();
      return false;
    }
    return true;
  };

  /** Scans inside an action; returns false once an error token was emitted. */
  const lexInsideAction = (): boolean | 'rightDelim' => {
    const { delim } = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return 'rightDelim';
      return errorf('unclosed left paren');
    }
    const r = next();
    if (r === undefined) return errorf('unclosed action');
    if (isSpace(r)) {
      backup(r);
      // lexSpace: a run of spaces, minding a trim-marked right delimiter (" -}}").
      let n = 0;
      while (isSpace(peekChar())) {
        next();
        n++;
      }
      if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos - 1 + 2)) {
        backup(input[pos - 1]);
        if (n === 1) return 'rightDelim';
      }
      emit('space');
      return true;
    }
    switch (r) {
      case '=':
        emit('assign');
        return true;
      case ':':
        if (next() !== '=') return errorf('expected :=');
        emit('declare');
        return true;
      case '|':
        emit('pipe');
        return true;
      case '"':
        for (;;) {
          const c = next();
          if (c === '\\') {
            const e = next();
            if (e !== undefined && e !== '\n') continue;
            return errorf('unterminated quoted string');
          }
          if (c === undefined || c === '\n') return errorf('unterminated quoted string');
          if (c === '"') break;
        }
        emit('string');
        return true;
      case '`': {
        const sl = line;
        for (;;) {
          const c = next();
          if (c === undefined) {
            line = sl;
            return errorf('unterminated raw quoted string');
          }
          if (c === '`') break;
        }
        emit('rawString');
        return true;
      }
      case '$':
        return lexFieldOrVariable('variable');
      case "'":
        for (;;) {
          const c = next();
          if (c === '\\') {
            const e = next();
            if (e !== undefined && e !== '\n') continue;
            return errorf('unterminated character constant');
          }
          if (c === undefined || c === '\n') return errorf('unterminated character constant');
          if (c === "'") break;
        }
        emit('charConstant');
        return true;
      case '(':
        emit('leftParen');
        parenDepth++;
        return true;
      case ')':
        emit('rightParen');
        parenDepth--;
        if (parenDepth < 0) return errorf(`unexpected right paren ${fmtU(r)}`);
        return true;
      default:
    }
    if (r === '.') {
      const c = input[pos];
      if (c === undefined || c < '0' || c > '9') return lexFieldOrVariable('field');
    }
    if (r === '.' || r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      backup(r);
      if (!scanNumber()) return errorf(`bad number syntax: ${quote(input.slice(start, pos))}`);
      const sign = peekChar();
      if (sign === '+' || sign === '-') {
        if (!scanNumber() || input[pos - 1] !== 'i') return errorf(`bad number syntax: ${quote(input.slice(start, pos))}`);
        emit('complex');
      } else emit('number');
      return true;
    }
    if (isAlphaNumeric(r)) {
      let c: string | undefined;
      do c = next();
      while (isAlphaNumeric(c));
      backup(c);
      if (!atTerminator()) return errorf(`bad character ${fmtU(c ?? '')}`);
      const word = input.slice(start, pos);
      if (keywords.has(word)) emit(word as TokenType);
      else if (word === 'true' || word === 'false') emit('bool');
      else emit('identifier');
      return true;
    }
    const cp = r.codePointAt(0) as number;
    if (cp >= 0x20 && cp < 0x7f) {
      emit('char');
      return true;
    }
    return errorf(`unrecognized character in action: ${fmtU(r)}`);
  };

  /** After '.' or '$': a field/variable name, or a bare '.' / '$'. */
  const lexFieldOrVariable = (type: 'field' | 'variable'): boolean => {
    if (atTerminator()) {
      emit(type === 'variable' ? 'variable' : 'dot');
      return true;
    }
    let c: string | undefined;
    do c = next();
    while (isAlphaNumeric(c));
    backup(c);
    if (!atTerminator()) return errorf(`bad character ${fmtU(c ?? '')}`);
    emit(type);
    return true;
  };

  for (;;) {
    // lexText: up to the next "{{".
    const x = input.indexOf(LEFT, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) {
        line += countNL(input.slice(start, pos));
        emit('text');
      }
      emit('eof');
      return tokens;
    }
    pos = x;
    let trimLength = 0;
    if (hasLeftTrimMarker(input, pos + LEFT.length)) {
      const before = input.slice(start, pos);
      trimLength = before.length - before.replace(/[ \t\r\n]+$/, '').length;
    }
    pos -= trimLength;
    if (pos > start) {
      line += countNL(input.slice(start, pos));
      emit('text');
    }
    pos += trimLength;
    ignore();
    // lexLeftDelim
    pos += LEFT.length;
    const trimSpace = hasLeftTrimMarker(input, pos);
    const afterMarker = trimSpace ? 2 : 0;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      // lexComment
      pos += LEFT_COMMENT.length;
      const i = input.indexOf(RIGHT_COMMENT, pos);
      if (i < 0) {
        errorf('unclosed comment');
        return tokens;
      }
      pos = i + RIGHT_COMMENT.length;
      const { delim, trim } = atRightDelim();
      if (!delim) {
        errorf('comment ends before closing delimiter');
        return tokens;
      }
      if (trim) pos += 2;
      pos += RIGHT.length;
      if (trim) pos += input.slice(pos).length - input.slice(pos).replace(/^[ \t\r\n]+/, '').length;
      ignore();
      continue;
    }
    emit('leftDelim');
    pos += afterMarker;
    ignore();
    parenDepth = 0;
    for (;;) {
      const r = lexInsideAction();
      if (r === false) return tokens;
      if (r === 'rightDelim') break;
    }
    // lexRightDelim
    const trimRight = hasRightTrimMarker(input, pos);
    if (trimRight) {
      pos += 2;
      ignore();
    }
    pos += RIGHT.length;
    emit('rightDelim');
    if (trimRight) {
      pos += input.slice(pos).length - input.slice(pos).replace(/^[ \t\r\n]+/, '').length;
      ignore();
    }
  }
}
