/**
 * cli/format: output formatting that prints exactly what the docker CLI 28.2.2 prints.
 *
 * What it owns:
 * - template.ts (+ template-lex/-parse/-exec/-funcs, go-values, go-fmt, go-json): an interpreter of Go's
 *   text/template with docker's functions (json split join title lower upper pad truncate) and Go's
 *   builtins, Go's value printing (%v), encoding/json output, and Go's error texts.
 * - table.ts (+ text-width): Go's text/tabwriter as docker configures it (minwidth 10, tabwidth 1,
 *   padding 3, ' '), cell widths measured as go-runewidth does.
 * - format.ts: docker's --format front end. renderList: table / `table <tmpl>` (header from the
 *   command's header map) / json / raw / pretty / any template, and -q. renderInspect: indented JSON,
 *   json, or a template per object with docker's typed-then-raw fallback.
 * - filters.ts: repeated --filter key=value → the Engine API filters map and its JSON.
 * - time.ts: "X ago".
 *
 * Invariants: pure (no node:* imports, no I/O: functions return the text to print); imports only
 * src/lib and src/api. Errors are ShoalErrors of kind InvalidArgument whose messages are docker's
 * ("template parsing error: template: :1: unexpected EOF", "bad format of filter (expected name=value)").
 *
 * Values: rows given to renderList become Go structs (GoStruct): fields or zero-argument getters,
 * a missing field is an error, `{{json .}}` sorts keys and escapes <>& as docker's MarshalJSON does.
 * Plain JSON objects act as Go maps (a missing key prints "<no value>"); `json` keeps their key order.
 */
export { renderList, renderInspect, resolveListFormat, finalFormat, isGoMapField, FORMAT_PARSE_ERROR, FORMAT_EXEC_ERROR } from './format.js';
export type { Row, ListFormatOptions, InspectResult } from './format.js';
export {
  Template,
  renderTemplate,
  DOCKER_FUNCS,
  HEADER_FUNCS,
  TEMPLATE_PARSE_ERROR,
  TEMPLATE_EXEC_ERROR,
  GoStruct,
  GoFloat,
} from './template.js';
export type { RunOptions, ExecOptions } from './template.js';
export { TabWriter, tabulate, DOCKER_TABLE } from './table.js';
export type { TabWriterOptions } from './table.js';
export { stringWidth } from './text-width.js';
export { encodeJSON } from './go-json.js';
export type { JSONOptions } from './go-json.js';
export { formatValue, sprintf } from './go-fmt.js';
export { parseFilters, addFilter, filtersToJSON, filterFlagError, BAD_FILTER_FORMAT, FILTER_FORMAT_ERROR } from './filters.js';
export type { Filters } from './filters.js';
export { humanAgo, toEpochMs } from './time.js';
