/**
 * Reads a container's log file (conmon's k8s-file / CRI format: `<RFC3339Nano> <stdout|stderr> <F|P> <text>`,
 * where P marks a partial line continued by the next entry of the same stream) with docker's options:
 * stdout/stderr selection, since/until, tail, follow.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parseK8sLogLine, rfc3339NanoUtc } from '../exec/log-format.js';

export interface LogEntry {
  /** The entry's timestamp in UTC with nine fractional digits, as `docker logs -t` prints it. */
  time: string;
  /** Epoch seconds with fraction, for since/until comparison. */
  epoch: number;
  stream: 'stdout' | 'stderr';
  /** The line without its trailing newline. */
  text: string;
}

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Epoch seconds (fractional allowed); 0 = from the beginning. */
  since: number;
  /** Epoch seconds; 0 = no bound. */
  until: number;
  /** Number of last lines, or undefined for all. */
  tail: number | undefined;
  follow: boolean;
}

/** Turns complete lines of the file into entries, joining partial (P) pieces per stream. */
export class LogParser {
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private rest = '';

  push(chunk: string): LogEntry[] {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    const out: LogEntry[] = [];
    for (const line of lines) {
      const rec = parseK8sLogLine(line);
      if (!rec) continue;
      if (rec.partial) {
        this.partial[rec.stream] += rec.message;
        continue;
      }
      out.push({ time: rfc3339NanoUtc(rec), epoch: Math.floor(rec.epochMs / 1000) + rec.nanos / 1e9, stream: rec.stream, text: this.partial[rec.stream] + rec.message });
      this.partial[rec.stream] = '';
    }
    return out;
  }
}

function keep(e: LogEntry, o: LogOptions): boolean {
  if (e.stream === 'stdout' ? !o.stdout : !o.stderr) return false;
  if (o.since > 0 && e.epoch < o.since) return false;
  if (o.until > 0 && e.epoch > o.until) return false;
  return true;
}

/**
 * Yields the entries docker would show, then (with `follow`) new ones as they are written, until the container
 * has stopped and the file is drained, or `signal` aborts.
 */
export async function* readLogs(
  path: string,
  o: LogOptions,
  live: { running: () => boolean; signal: AbortSignal; pollMs?: number },
): AsyncGenerator<LogEntry> {
  const parser = new LogParser();
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
  } catch {
    if (!o.follow) return;
    // Not written yet (a container that has not started): wait for it below.
  }
  let pos = 0;
  const readMore = async (): Promise<LogEntry[]> => {
    if (!fh) {
      try {
        fh = await open(path, 'r');
      } catch {
        return [];
      }
    }
    const size = (await stat(path)).size;
    if (size <= pos) return [];
    const buf = Buffer.alloc(size - pos);
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    pos += bytesRead;
    return parser.push(buf.subarray(0, bytesRead).toString('utf8'));
  };
  try {
    const first = (await readMore()).filter((e) => keep(e, o));
    const start = o.tail === undefined ? 0 : Math.max(0, first.length - o.tail);
    for (const e of first.slice(start)) yield e;
    if (!o.follow) return;
    const pollMs = live.pollMs ?? 50;
    while (!live.signal.aborted) {
      const wasRunning = live.running();
      for (const e of await readMore()) if (keep(e, o)) yield e;
      if (!wasRunning) return;
      if (o.until > 0 && Date.now() / 1000 > o.until) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          live.signal.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, pollMs);
        live.signal.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    await fh?.close();
  }
}
