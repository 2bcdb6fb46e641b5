/**
 * docker's jsonmessage display for pull and load progress streams.
 *
 * - Not a terminal: one plain line per message (`<id>: <status>`); messages whose progress would draw a bar
 *   ("Downloading", "Extracting" with byte counts) are skipped, as docker skips them.
 * - A terminal: one line per layer ID, redrawn in place with ANSI cursor movement (up N, clear line, rewrite,
 *   down N), each with docker's bar `[====>    ] 1.2MB/3.4MB 2s`. A message without an ID starts a new block.
 *
 * An `errorDetail` message ends the display with that error.
 */
import type { JSONMessage } from '../../../client/image-types.js';
import { messageError } from '../../../client/images.js';
import type { Output } from '../../context.js';
import { formatDuration } from '../../../lib/duration.js';
import { humanSize } from '../container/units.js';

export interface ProgressDisplayOptions {
  /** stdout is a terminal: redraw per-layer lines. */
  tty: boolean;
  /** Terminal width (docker draws the bar above 110 columns, the time left above 50); 200 when unknown. */
  columns?: number;
  /** Clock for the time left, ms since the epoch. */
  now?: () => number;
}

const ESC = '\x1b[';

/** docker's JSONProgress.String(). */
export function progressString(p: NonNullable<JSONMessage['progressDetail']>, columns: number, nowMs: number): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) {
    return p.units === undefined || p.units === '' ? humanSize(current).padStart(8) : `${current} ${p.units}`;
  }
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (columns > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;
  let numbers = '';
  if (p.hidecounts !== true) {
    if (p.units === undefined || p.units === '') {
      numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
    } else {
      numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
    }
  }
  let left = '';
  const start = p.start ?? 0;
  if (current > 0 && start > 0 && percentage < 50) {
    const elapsedNs = (nowMs - start * 1000) * 1e6;
    const perEntry = Math.trunc(elapsedNs / current);
    const remaining = Math.trunc(((total - current) * perEntry) / 1e9) * 1e9;
    if (columns > 50) left = ' ' + formatDuration(remaining);
  }
  return bar + numbers + left;
}

export class ProgressDisplay {
  private ids = new Map<string, number>();
  private readonly columns: number;
  private readonly now: () => number;

  constructor(
    private readonly out: Output,
    private readonly o: ProgressDisplayOptions,
  ) {
    this.columns = o.columns ?? 200;
    this.now = o.now ?? Date.now;
  }

  /** Shows one message; throws the message's error, if it carries one. */
  show(m: JSONMessage): void {
    if (m.aux !== undefined) return;
    const tty = this.o.tty;
    let diff = 0;
    if (m.id !== undefined && m.id !== '' && (m.progressDetail !== undefined || (m.progress ?? '') !== '')) {
      let line = this.ids.get(m.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(m.id, line);
        if (tty) this.out.write('\n');
      }
      diff = this.ids.size - line;
      if (tty && diff > 0) this.out.write(`${ESC}${diff}A`);
    } else {
      // Something that is not progress: later progress lines start a new block.
      this.ids = new Map();
    }
    const err = messageError(m);
    if (err === undefined) this.display(m);
    if (m.id !== undefined && m.id !== '' && tty && diff > 0) this.out.write(`${ESC}${diff}B`);
    if (err !== undefined) throw err;
  }

  private display(m: JSONMessage): void {
    const tty = this.o.tty;
    let endl = '';
    const progress = m.progressDetail !== undefined ? progressString(m.progressDetail, this.columns, this.now()) : '';
    if (tty && (m.stream ?? '') === '' && m.progressDetail !== undefined) {
      this.out.write(`${ESC}1K${ESC}K`);
      endl = '\r';
      this.out.write(endl);
    } else if (m.progressDetail !== undefined && progress !== '') {
      return; // no progress bars when not a terminal
    }
    let text = '';
    if (m.timeNano !== undefined && m.timeNano !== 0) text += `${fixedNanoTime(m.timeNano / 1e6)} `;
    else if (m.time !== undefined && m.time !== 0) text += `${fixedNanoTime(m.time * 1000)} `;
    if (m.id !== undefined && m.id !== '') text += `${m.id}: `;
    if (m.from !== undefined && m.from !== '') text += `(from ${m.from}) `;
    const status = m.status ?? '';
    if (m.progressDetail !== undefined && tty) text += `${status} ${progress}${endl}`;
    else if ((m.progress ?? '') !== '') text += `${status} ${m.progress}${endl}`;
    else if ((m.stream ?? '') !== '') text += `${m.stream}${endl}`;
    else text += `${status}${endl}\n`;
    this.out.write(text);
  }
}

/** RFC3339NanoFixed in UTC ("2006-01-02T15:04:05.000000000Z"). */
function fixedNanoTime(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  const nanos = String(Math.round((ms % 1000) * 1e6)).padStart(9, '0');
  return `${iso.slice(0, 19)}.${nanos}Z`;
}

/** Shows a whole stream; rejects with the first error message. */
export async function displayJSONMessages(messages: AsyncIterable<JSONMessage>, out: Output, o: ProgressDisplayOptions): Promise<void> {
  const d = new ProgressDisplay(out, o);
  for await (const m of messages) d.show(m);
}
