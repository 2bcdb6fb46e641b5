/**
 * conmon's k8s-file log format (the CRI logging format), one record per line:
 *
 *   2026-11-27T08:37:27.665758652+00:00 stdout F hello
 *   2026-11-27T08:37:27.665758652+00:00 stdout P partial-without-newline
 *
 * `F` ends a line (the newline itself is not written), `P` is a piece of a longer line or output that did not end
 * in a newline yet. conmon writes the host's local UTC offset (`+00:00`); Shoal's fake writes `Z`. The parser
 * takes both and keeps nanosecond precision. With a terminal, everything is logged as stdout.
 */

export type LogStream = 'stdout' | 'stderr';

export interface K8sLogLine {
  /** The timestamp as written. */
  time: string;
  /** Milliseconds since the epoch (for filtering with --since / --until). */
  epochMs: number;
  /** Nanoseconds within the second (0-999999999), for ordering and `docker logs -t`. */
  nanos: number;
  stream: LogStream;
  /** True for `P`: the message continues in the next record of the same stream. */
  partial: boolean;
  message: string;
}

const LINE_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([FP]) ?(.*)$/s;

/** Parses one record (without its trailing newline); undefined when the line is not in the format. */
export function parseK8sLogLine(line: string): K8sLogLine | undefined {
  const m = LINE_RE.exec(line.endsWith('\n') ? line.slice(0, -1) : line);
  if (!m) return undefined;
  const [, base = '', frac = '', zone = 'Z', stream, tag, message = ''] = m;
  const nanos = Number(frac.padEnd(9, '0'));
  const seconds = Date.parse(`${base}${zone}`);
  if (Number.isNaN(seconds)) return undefined;
  return {
    time: `${base}${frac === '' ? '' : '.' + frac}${zone}`,
    epochMs: seconds + Math.floor(nanos / 1e6),
    nanos,
    stream: stream as LogStream,
    partial: tag === 'P',
    message,
  };
}

/** The bytes a record stands for: its message, plus the newline a full (`F`) record implies. */
export function logLineText(line: K8sLogLine): string {
  return line.partial ? line.message : line.message + '\n';
}

/** Go's RFC3339Nano in UTC (`2026-11-27T08:37:27.665758652Z`, trailing zeros trimmed): `docker logs -t`. */
export function rfc3339NanoUtc(line: Pick<K8sLogLine, 'epochMs' | 'nanos'>): string {
  const iso = new Date(Math.floor(line.epochMs / 1000) * 1000).toISOString().slice(0, 19);
  const frac = String(line.nanos).padStart(9, '0').replace(/0+$/, '');
  return `${iso}${frac === '' ? '' : '.' + frac}Z`;
}

/** Writes one record; `epochMs` plus optional sub-millisecond nanoseconds. The message must not contain '\n'. */
export function formatK8sLogLine(epochMs: number, stream: LogStream, partial: boolean, message: string, subMsNanos = 0): string {
  const whole = Math.floor(epochMs);
  const nanos = (((whole % 1000) + 1000) % 1000) * 1e6 + subMsNanos;
  const seconds = new Date(whole - (whole % 1000)).toISOString().slice(0, 19);
  return `${seconds}.${String(nanos).padStart(9, '0')}Z ${stream} ${partial ? 'P' : 'F'} ${message}`;
}

/**
 * Splits output into records the way conmon does: one `F` record per newline-terminated line, and a `P` record
 * for a trailing piece without a newline.
 */
export function formatK8sLogChunk(epochMs: number, stream: LogStream, text: string): string {
  const out: string[] = [];
  const parts = text.split('\n');
  const last = parts.pop() ?? '';
  for (const p of parts) out.push(formatK8sLogLine(epochMs, stream, false, p) + '\n');
  if (last !== '') out.push(formatK8sLogLine(epochMs, stream, true, last) + '\n');
  return out.join('');
}
