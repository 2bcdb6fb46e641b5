/**
 * `--filter key=value` flags → the Engine API's `filters` query parameter (docker's opts.FilterOpt and
 * filters.Args): {"key":{"value":true}}, keys lower-cased, both sides trimmed, repeated keys merged.
 */
import { ShoalError } from '../../api/errors.js';
import { encodeJSON } from './go-json.js';

/** The Engine API filter map: name → set of values. */
export type Filters = Record<string, Record<string, true>>;

/** docker's message for a filter without "=". */
export const BAD_FILTER_FORMAT = 'bad format of filter (expected name=value)';
/** Error code of the ShoalError (kind InvalidArgument) thrown for a malformed filter. */
export const FILTER_FORMAT_ERROR = 'cli.filter.bad_format';

/** Adds one `--filter` value to `filters` (in place) and returns it. An empty value is ignored, as in docker. */
export function addFilter(filters: Filters, value: string): Filters {
  if (value === '') return filters;
  const eq = value.indexOf('=');
  if (eq < 0) throw new ShoalError('InvalidArgument', FILTER_FORMAT_ERROR, BAD_FILTER_FORMAT);
  const name = value.slice(0, eq).trim().toLowerCase();
  const val = value.slice(eq + 1).trim();
  (filters[name] ??= {})[val] = true;
  return filters;
}

/** Parses repeated `--filter` values. */
export function parseFilters(values: readonly string[]): Filters {
  const filters: Filters = {};
  for (const v of values) addFilter(filters, v);
  return filters;
}

/** The `filters` query value, as filters.ToJSON: "" when there are none, else sorted compact JSON. */
export function filtersToJSON(filters: Filters): string {
  if (Object.keys(filters).length === 0) return '';
  return encodeJSON(filters, { escapeHTML: true, sortKeys: () => true });
}

/** How docker (pflag) reports a bad --filter value: `invalid argument "x" for "-f, --filter" flag: ...`. */
export function filterFlagError(value: string, flag = '-f, --filter'): string {
  return `invalid argument "${value}" for "${flag}" flag: ${BAD_FILTER_FORMAT}`;
}
