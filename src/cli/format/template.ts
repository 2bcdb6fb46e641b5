/**
 * Go text/template, as the docker CLI's `--format` runs it: parse once, execute per object.
 *
 * The language: `{{.Field}}`, `{{.A.B}}`, map keys (`{{.Labels.tier}}`; a missing key prints `<no value>`),
 * pipelines, parentheses, variables (`$x := …`, `$x = …`, `$` the root), if / else if / else, with, range
 * (slices, maps in sorted key order, ints; `$k, $v :=`; break / continue), define / template / block,
 * comments and trim markers (`{{- … -}}`), string, raw-string, char, number, bool and nil literals.
 * Functions: Go's builtins (and or not eq ne lt le gt ge len index slice print printf println html js
 * urlquery call) and docker's (json split join title lower upper pad truncate).
 *
 * Values follow go-values.ts: plain JSON objects act as Go maps, GoStruct as a Go struct (docker's row
 * contexts), functions as methods. Errors carry Go's text; docker prefixes "template parsing error: ".
 */
import { ShoalError } from '../../api/errors.js';
import { execute } from './template-exec.js';
import type { ExecOptions } from './template-exec.js';
import { builtinFuncs, dockerFuncs, headerFuncs, mergeFuncs } from './template-funcs.js';
import type { FuncMap } from './template-funcs.js';
import { parse, TemplateParseError } from './template-parse.js';
import type { TreeSet } from './template-parse.js';

export { GoFloat, GoStruct } from './go-values.js';
export type { ExecOptions } from './template-exec.js';

/** Error codes of the ShoalErrors (kind InvalidArgument) thrown here; messages are Go's. */
export const TEMPLATE_PARSE_ERROR = 'template.parse';
export const TEMPLATE_EXEC_ERROR = 'template.exec';

/** Functions available to docker's templates: Go's builtins plus docker's basicFunctions. */
export const DOCKER_FUNCS: FuncMap = mergeFuncs(builtinFuncs, dockerFuncs);
/** The same with docker's HeaderFunctions swapped in, for rendering table headers. */
export const HEADER_FUNCS: FuncMap = mergeFuncs(builtinFuncs, dockerFuncs, headerFuncs);

export interface RunOptions extends Partial<ExecOptions> {
  /** Functions to execute with (docker's header pass swaps in HEADER_FUNCS). Default DOCKER_FUNCS. */
  funcs?: FuncMap;
}

export class Template {
  private constructor(
    readonly text: string,
    private readonly name: string,
    private readonly trees: TreeSet,
  ) {}

  /** Parses `text` as docker's templates.Parse does (name "", docker's functions). */
  static parse(text: string, opts: { name?: string; funcs?: FuncMap } = {}): Template {
    const name = opts.name ?? '';
    const funcs = opts.funcs ?? DOCKER_FUNCS;
    try {
      return new Template(text, name, parse(name, text, (f) => funcs.has(f)));
    } catch (e) {
      if (e instanceof TemplateParseError) throw new ShoalError('InvalidArgument', TEMPLATE_PARSE_ERROR, e.message);
      throw e;
    }
  }

  /** Executes the template on `data`; throws a ShoalError (code template.exec) with Go's message. */
  execute(data: unknown, opts: RunOptions = {}): string {
    const r = this.run(data, opts);
    if (r.error !== undefined) throw r.error;
    return r.output;
  }

  /** Executes without throwing: the output written before any error, and the error. */
  run(data: unknown, opts: RunOptions = {}): { output: string; error?: ShoalError } {
    const exec: ExecOptions = {
      missingKey: opts.missingKey ?? 'default',
      sortMapKeys: opts.sortMapKeys ?? false,
      ...(opts.isMapField ? { isMapField: opts.isMapField } : {}),
    };
    const r = execute(this.trees, this.name, this.text, data, opts.funcs ?? DOCKER_FUNCS, exec);
    if (r.error === undefined) return { output: r.output };
    return { output: r.output, error: new ShoalError('InvalidArgument', TEMPLATE_EXEC_ERROR, r.error.message, { cause: r.error }) };
  }
}

/** Parses and executes in one go. */
export function renderTemplate(text: string, data: unknown, opts: RunOptions = {}): string {
  return Template.parse(text).execute(data, opts);
}
