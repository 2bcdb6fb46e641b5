/**
 * KEY=VALUE values as the docker CLI reads them: `-e` (a bare NAME takes the CLI's own environment value),
 * `--env-file` and `--label-file` (comments, blank lines, a UTF-8 BOM, leading spaces ignored; names without
 * whitespace), `-l` (non-empty key without whitespace), and the label map.
 */

const WHITESPACE = ' \t';

/** opts.ValidateEnv: "NAME" becomes "NAME=<value>" when the CLI's environment has NAME. */
export function validateEnv(value: string, env: Readonly<Record<string, string | undefined>>): string {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  if (key === '') throw new Error(`invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const v = env[key];
  return v === undefined ? value : `${key}=${v}`;
}

/** opts.ValidateLabel. */
export function validateLabel(value: string): string {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${value}': empty name`);
  if ([...WHITESPACE].some((c) => key.includes(c))) throw new Error(`label '${key}' contains whitespaces`);
  return value;
}

/**
 * opts.parseKeyValueFile over a file's text: one KEY=VALUE per line (the value kept verbatim); a bare KEY takes
 * `lookup(KEY)` when given and defined.
 */
export function parseKeyValueFile(text: string, lookup?: (key: string) => string | undefined): string[] {
  const lines: string[] = [];
  const raw = text.split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  raw.forEach((l, i) => {
    let line = l.endsWith('\r') ? l.slice(0, -1) : l;
    if (i === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    line = line.replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const variable = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if ([...WHITESPACE].some((c) => variable.includes(c))) {
      throw new Error(`poorly formatted environment: variable '${variable}' contains whitespaces`);
    }
    if (variable === '') throw new Error(`poorly formatted environment: no variable name on line '${line}'`);
    if (eq >= 0) {
      lines.push(`${variable}=${line.slice(eq + 1)}`);
      return;
    }
    const value = lookup?.(line.trim());
    lines.push(value === undefined ? line.trim() : `${line.trim()}=${value}`);
  });
  return lines;
}

/** opts.ConvertKVStringsToMap: "k=v" → k: v, "k" → k: "". */
export function kvStringsToMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
