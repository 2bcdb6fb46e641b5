/**
 * The parts of Go's fmt and strconv that templates reach: %v printing of values (what `{{.X}}` writes),
 * print/println/printf, strconv.Quote and float formatting. See go-values.ts for the value model.
 */
import { goTypeName, isPlainObject, kindOf, numberOf, runes, sortedKeys } from './go-values.js';
import type { GoStruct } from './go-values.js';

/** Go's `%v` of one value, as fmt.Sprint prints it (nil → "<nil>"). */
export function formatValue(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return v ? 'true' : 'false';
    case 'int':
      return formatInt(v as number | bigint);
    case 'float':
      return formatFloat(numberOf(v), 'g', -1);
    case 'string':
      return v as string;
    case 'slice':
      return `[${(v as unknown[]).map(formatValue).join(' ')}]`;
    case 'map': {
      const obj = v as Record<string, unknown>;
      return `map[${sortedKeys(obj)
        .map((k) => `${k}:${formatValue(obj[k])}`)
        .join(' ')}]`;
    }
    case 'struct':
      if (v instanceof Date) return formatGoTime(v);
      return `{${Object.values((v as GoStruct).fields)
        .map((f) => formatValue(typeof f === 'function' ? (f as () => unknown)() : f))
        .join(' ')}}`;
    case 'func':
      return formatValue((v as () => unknown)());
  }
}

function formatInt(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

/** time.Time's String() for a UTC instant: "2006-01-02 15:04:05.999999999 +0000 UTC". */
function formatGoTime(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`;
}

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatValue(arg);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, newline appended. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

/** fmt.Sprintf for the verbs templates use: v s d q t x X o b c U e E f F g G and %%. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let i = 0;
  const end = format.length;
  while (i < end) {
    const start = i;
    while (i < end && format[i] !== '%') i++;
    out += format.slice(start, i);
    if (i >= end) break;
    i++; // skip %
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    flags: for (; i < end; i++) {
      switch (format[i] ?? '') {
        case '#':
          spec.sharp = true;
          break;
        case '0':
          spec.zero = true;
          break;
        case '+':
          spec.plus = true;
          break;
        case '-':
          spec.minus = true;
          break;
        case ' ':
          spec.space = true;
          break;
        default:
          break flags;
      }
    }
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (kindOf(w) === 'int') {
        spec.width = numberOf(w);
        if (spec.width < 0) {
          spec.minus = true;
          spec.width = -spec.width;
        }
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (kindOf(p) === 'int' && numberOf(p) >= 0) spec.prec = numberOf(p);
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        spec.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++], verb, spec);
  }
  if (argNum < args.length) {
    out += `%!(EXTRA ${args
      .slice(argNum)
      .map((a) => (a === undefined || a === null ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`))
      .join(', ')})`;
  }
  return out;
}

function badVerb(verb: string, arg: unknown): string {
  if (arg === undefined || arg === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${formatValue(arg)})`;
}

function pad(s: string, spec: Spec, numeric = false): string {
  const width = spec.width ?? 0;
  const n = runes(s).length;
  if (n >= width) return s;
  const fill = width - n;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero) {
    if (numeric && /^[+\- ]/.test(s)) return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function formatArg(arg: unknown, verb: string, spec: Spec): string {
  const kind = kindOf(arg);
  switch (kind) {
    case 'invalid':
    case 'nil':
      return verb === 'v' || verb === 'T' ? pad('<nil>', spec) : badVerb(verb, arg);
    case 'bool':
      return verb === 't' || verb === 'v' ? pad(arg ? 'true' : 'false', spec) : badVerb(verb, arg);
    case 'int':
      return formatIntVerb(BigInt(typeof arg === 'bigint' ? arg : Math.trunc(arg as number)), verb, spec, arg);
    case 'float':
      return formatFloatVerb(numberOf(arg), verb, spec, arg);
    case 'string':
      return formatStringVerb(arg as string, verb, spec);
    case 'slice':
      if (verb === 'T') return pad(goTypeName(arg), spec);
      if (verb === 'x' || verb === 'X' || verb === 'q' || verb === 's' || verb === 'v' || verb === 'd') {
        return `[${(arg as unknown[]).map((e) => formatArg(e, verb, { ...spec, width: undefined })).join(' ')}]`;
      }
      return badVerb(verb, arg);
    case 'map':
      if (verb === 'T') return pad(goTypeName(arg), spec);
      if (isPlainObject(arg)) {
        return `map[${sortedKeys(arg)
          .map((k) => `${formatArg(k, verb, { ...spec, width: undefined })}:${formatArg(arg[k], verb, { ...spec, width: undefined })}`)
          .join(' ')}]`;
      }
      return pad(formatValue(arg), spec);
    case 'struct':
    case 'func':
      return verb === 'T' ? pad(goTypeName(arg), spec) : pad(formatValue(arg), spec);
  }
}

function formatIntVerb(n: bigint, verb: string, spec: Spec, arg: unknown): string {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      if (spec.sharp) prefix = '0b';
      break;
    case 'o':
      digits = abs.toString(8);
      if (spec.sharp) prefix = '0';
      break;
    case 'O':
      digits = abs.toString(8);
      prefix = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(n)), spec);
    case 'q':
      return pad(quoteRune(Number(n)), spec);
    case 'U': {
      const hex = abs.toString(16).toUpperCase().padStart(4, '0');
      return pad(`U+${hex}${spec.sharp ? ` '${String.fromCodePoint(Number(n))}'` : ''}`, spec);
    }
    case 'T':
      return pad(goTypeName(arg), spec);
    default:
      return badVerb(verb, arg);
  }
  if (spec.prec !== undefined) {
    if (spec.prec === 0 && abs === 0n) digits = '';
    digits = digits.padStart(spec.prec, '0');
  }
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  const body = prefix + digits;
  // Zero padding goes between the sign and the digits, and is ignored when a precision is set.
  if (spec.zero && !spec.minus && spec.prec === undefined && spec.width !== undefined) {
    const fill = spec.width - sign.length - body.length;
    return sign + prefix + '0'.repeat(Math.max(0, fill)) + digits;
  }
  return pad(sign + body, spec);
}

function formatFloatVerb(f: number, verb: string, spec: Spec, arg: unknown): string {
  let s: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      s = formatFloat(f, 'g', spec.prec ?? -1);
      if (verb === 'G') s = s.toUpperCase();
      break;
    case 'e':
    case 'E':
      s = formatFloat(f, 'e', spec.prec ?? 6);
      if (verb === 'E') s = s.toUpperCase();
      break;
    case 'f':
    case 'F':
      s = formatFloat(f, 'f', spec.prec ?? 6);
      break;
    case 'T':
      return pad(goTypeName(arg), spec);
    default:
      return badVerb(verb, arg);
  }
  if (!s.startsWith('-') && Number.isFinite(f)) {
    if (spec.plus) s = '+' + s;
    else if (spec.space) s = ' ' + s;
  }
  return pad(s, { ...spec, zero: spec.zero && Number.isFinite(f) }, true);
}

function formatStringVerb(s: string, verb: string, spec: Spec): string {
  let str = s;
  if (spec.prec !== undefined) str = runes(str).slice(0, spec.prec).join('');
  switch (verb) {
    case 'v':
    case 's':
      return pad(str, spec);
    case 'q':
      if (spec.sharp && canBackquote(str)) return pad('`' + str + '`', spec);
      return pad(spec.plus ? quoteASCII(str) : quote(str), spec);
    case 'x':
    case 'X': {
      let hex = Array.from(new TextEncoder().encode(str), (b) => b.toString(16).padStart(2, '0')).join(spec.space ? ' ' : '');
      if (verb === 'X') hex = hex.toUpperCase();
      return pad(hex, spec);
    }
    case 'T':
      return pad('string', spec);
    default:
      return badVerb(verb, s);
  }
}

/** strconv.CanBackquote: no backquote and no control characters other than tab. */
function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x60 || c === 0x7f || (c < 0x20 && c !== 0x09)) return false;
  }
  return true;
}

/** strconv.FormatFloat(f, fmt, prec, 64) for fmt 'e', 'f' and 'g' (prec -1 = shortest). */
export function formatFloat(f: number, fmt: 'e' | 'f' | 'g', prec: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const neg = f < 0 || Object.is(f, -0);
  const abs = Math.abs(f);
  if (fmt === 'f' && prec >= 0) return (neg ? '-' : '') + abs.toFixed(prec);
  // Decimal digits and decimal-point position of the (rounded) value: abs ≈ 0.d1d2d3… × 10^dp.
  const sci = prec < 0 ? abs.toExponential() : fmt === 'e' ? abs.toExponential(prec) : abs.toExponential(Math.max(prec, 1) - 1);
  const [mant, e] = sci.split('e') as [string, string];
  let digs = mant.replace('.', '');
  let dp = Number(e) + 1;
  if (/^0+$/.test(digs)) {
    digs = '0';
    dp = 1;
  }
  let out: string;
  if (fmt === 'g') {
    // Go strips trailing zeros for %g.
    if (prec >= 0) digs = digs.replace(/(?<=\d)0+$/, '');
    let eprec = prec < 0 ? 6 : prec === 0 ? 1 : prec;
    if (prec >= 0 && eprec > digs.length && digs.length >= dp) eprec = digs.length;
    const exp = dp - 1;
    if (exp < -4 || exp >= eprec) out = fmtE(digs, dp, digs.length - 1);
    else out = fmtF(digs, dp, Math.max(digs.length - dp, 0));
  } else if (fmt === 'e') {
    out = fmtE(digs, dp, prec < 0 ? digs.length - 1 : prec);
  } else {
    out = fmtF(digs, dp, Math.max(digs.length - dp, 0));
  }
  return (neg ? '-' : '') + out;
}

function fmtE(digs: string, dp: number, prec: number): string {
  let s = digs[0] ?? '0';
  if (prec > 0) s += '.' + digs.slice(1, 1 + prec).padEnd(prec, '0');
  const exp = digs === '0' ? 0 : dp - 1;
  const sign = exp < 0 ? '-' : '+';
  const e = Math.abs(exp);
  return `${s}e${sign}${e < 10 ? '0' : ''}${e}`;
}

function fmtF(digs: string, dp: number, prec: number): string {
  let intPart: string;
  if (dp > 0) intPart = digs.slice(0, dp).padEnd(dp, '0');
  else intPart = '0';
  let s = intPart;
  if (prec > 0) {
    let frac = '';
    for (let i = 0; i < prec; i++) {
      const j = dp + i;
      frac += j < 0 || j >= digs.length ? '0' : digs[j];
    }
    s += '.' + frac;
  }
  return s;
}

const simpleEscapes: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

function escapeRune(ch: string, q: string, asciiOnly: boolean): string {
  if (ch === q) return '\\' + ch;
  const simple = simpleEscapes[ch];
  if (simple !== undefined) return simple;
  const cp = ch.codePointAt(0) as number;
  if (cp < 0x80) {
    if (cp >= 0x20 && cp < 0x7f) return ch;
    return '\\x' + cp.toString(16).padStart(2, '0');
  }
  if (!asciiOnly && isPrint(ch)) return ch;
  if (cp >= 0xd800 && cp <= 0xdfff) return '\\ufffd'; // a lone surrogate is invalid UTF-8 in Go
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** strconv.Quote. */
export function quote(s: string): string {
  return '"' + runes(s).map((ch) => escapeRune(ch, '"', false)).join('') + '"';
}

/** strconv.QuoteToASCII. */
export function quoteASCII(s: string): string {
  return '"' + runes(s).map((ch) => escapeRune(ch, '"', true)).join('') + '"';
}

/** strconv.QuoteRune. */
export function quoteRune(cp: number): string {
  const ch = cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  return "'" + escapeRune(ch, "'", false) + "'";
}
