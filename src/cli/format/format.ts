/**
 * The docker CLI's formatting front end (cli/command/formatter Context.Write, cli/command/inspect):
 * `--format` for list commands (table, table <template>, json, raw, pretty, any template, `-q`) and for
 * inspect commands (indented JSON, json, or a template per object).
 */
import { ShoalError } from '../../api/errors.js';
import { GoStruct } from './go-values.js';
import { encodeJSON } from './go-json.js';
import { DOCKER_TABLE, TabWriter } from './table.js';
import { HEADER_FUNCS, Template } from './template.js';

/** Codes of the ShoalErrors (kind InvalidArgument) thrown here. Messages are docker's. */
export const FORMAT_PARSE_ERROR = 'format.template_parse';
export const FORMAT_EXEC_ERROR = 'format.template_exec';

/** A row of a list command: field values, or getters computed on demand (docker's context methods). */
export type Row = Readonly<Record<string, unknown>>;

export interface ListFormatOptions {
  /** The --format value; empty or absent means the command's default table. */
  format?: string | undefined;
  /** -q: the default table becomes `{{.<quietField>}}` (a custom --format wins over -q, as in docker). */
  quiet?: boolean | undefined;
  /** The command's default table format, e.g. "table {{.ID}}\t{{.Name}}". */
  defaultTable: string;
  /** Field printed by -q; default "ID". */
  quietField?: string;
  /** Table header text per field (docker's SubHeaderContext), e.g. { ID: 'ID', Name: 'NAME' }. */
  headers: Readonly<Record<string, string>>;
  /** The command's `--format raw` template, and its -q variant; without them "raw" is a plain template. */
  raw?: string;
  rawQuiet?: string;
  /** The command's `--format pretty` template, if it has one. */
  pretty?: string;
  /** Go type of the row context, for error messages (e.g. "*node.nodeContext"). */
  typeName?: string;
}

/**
 * Renders rows as docker's list commands do. Returns the text to print (each row ends in "\n").
 * Throws a ShoalError with docker's "template parsing error: ..." message when the template fails;
 * then nothing is printed, as in docker.
 */
export function renderList(rows: readonly (Row | GoStruct)[], opts: ListFormatOptions): string {
  const format = resolveListFormat(opts);
  const isTable = format.startsWith('table');
  const tmpl = parseForDocker(finalFormat(format));
  const typeName = opts.typeName ?? '*formatter.Context';
  let body = '';
  for (const row of rows) {
    const ctx = row instanceof GoStruct ? row : new GoStruct(typeName, row, 'methods');
    const r = tmpl.run(ctx);
    if (r.error) throw new ShoalError('InvalidArgument', FORMAT_EXEC_ERROR, `template parsing error: ${r.error.message}`, { cause: r.error });
    body += r.output + '\n';
  }
  if (!isTable) return body;
  // The header is the same template run over the header map, with docker's header functions;
  // its errors are ignored, keeping what was written before them.
  const header = tmpl.run({ ...opts.headers }, { funcs: HEADER_FUNCS }).output;
  return new TabWriter(DOCKER_TABLE).write(header).write('\n').write(body).flush().take();
}

/** The format a list command runs, from --format and -q (docker's New<Thing>Format). */
export function resolveListFormat(opts: ListFormatOptions): string {
  const source = opts.format ?? '';
  const quietFormat = `{{.${opts.quietField ?? 'ID'}}}`;
  switch (source === '' ? 'table' : source) {
    case 'table':
      return opts.quiet ? quietFormat : opts.defaultTable;
    case 'raw':
      if (opts.raw === undefined) return source;
      return opts.quiet ? (opts.rawQuiet ?? opts.raw) : opts.raw;
    case 'pretty':
      return opts.pretty ?? source;
    default:
      return source;
  }
}

/**
 * docker's Context.preFormat: drops the "table" prefix, maps "json" to {{json .}}, trims spaces, and turns
 * the two-character escapes \t and \n into tab and newline.
 */
export function finalFormat(format: string): string {
  let f = format;
  if (f.startsWith('table')) f = f.slice('table'.length);
  else if (f === 'json') f = '{{json .}}';
  return f.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

function parseForDocker(text: string): Template {
  try {
    return Template.parse(text);
  } catch (e) {
    if (e instanceof ShoalError) {
      throw new ShoalError('InvalidArgument', FORMAT_PARSE_ERROR, `template parsing error: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/**
 * Fields whose values are Go maps in the Engine API types (map[string]…); every other JSON object is a Go
 * struct. Inspect's typed pass uses this: a missing map key prints "<no value>", a missing struct field
 * fails (and docker then retries on the raw JSON, where every missing key fails).
 */
const GO_MAP_FIELDS: ReadonlySet<string> = new Set([
  'Labels',
  'Options',
  'DriverOpts',
  'Containers',
  'Services',
  'Ports',
  'PortBindings',
  'ExposedPorts',
  'Networks',
  'Volumes',
  'Annotations',
  'Sysctls',
  'StorageOpt',
  'Tmpfs',
  'Data',
  'Runtimes',
  'IndexConfigs',
]);

export function isGoMapField(field: string, parent: string | undefined): boolean {
  return GO_MAP_FIELDS.has(field) || (field === 'Config' && parent === 'LogConfig');
}

export interface InspectResult {
  /** What to print on stdout. */
  output: string;
  /** One message per object the template failed on; docker prints them joined by "\n" and exits 1. */
  errors: string[];
}

/**
 * Renders objects as `docker inspect` does: no format → a JSON array indented with 4 spaces (the API's key
 * order, no HTML escaping); "json" → the same array compact on one line; otherwise the template per object,
 * each followed by "\n" (a lone "\n" when nothing rendered). A template that does not parse throws a
 * ShoalError (code format.template_parse; docker exits with status 64).
 */
export function renderInspect(objects: readonly unknown[], format?: string): InspectResult {
  if (format === undefined || format === '') {
    if (objects.length === 0) return { output: '[]\n', errors: [] };
    return { output: encodeJSON(objects, { escapeHTML: false, indent: '    ' }) + '\n', errors: [] };
  }
  if (format === 'json') return { output: encodeJSON(objects, { escapeHTML: false }) + '\n', errors: [] };
  const tmpl = parseForDocker(format);
  let output = '';
  const errors: string[] = [];
  for (const obj of objects) {
    // docker runs the template on the typed Go value first; if that fails, on the raw JSON with
    // missingkey=error, and reports that second failure.
    const typed = tmpl.run(obj, { isMapField: isGoMapField });
    if (typed.error === undefined) {
      output += typed.output + '\n';
      continue;
    }
    const raw = tmpl.run(obj, { missingKey: 'error', sortMapKeys: true });
    if (raw.error === undefined) output += raw.output + '\n';
    else errors.push(`template parsing error: ${raw.error.message}`);
  }
  if (output === '') output = '\n';
  return { output, errors };
}
