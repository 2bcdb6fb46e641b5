/**
 * Go's text/tabwriter (the docker CLI's copy, which measures cells with go-runewidth), the elastic-tabstops
 * filter behind every docker table. Docker configures it as `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`:
 * DOCKER_TABLE below.
 *
 * The rules, as Go's: text is cut into cells by '\t' (cell terminators, not separators), '\v', '\n' and
 * '\f'. The last cell of a line has no terminating tab, so it belongs to no column and is never padded.
 * Column j is a block of consecutive lines that all have a tab-terminated cell j; a line with fewer cells
 * ends the block, and the next lines start a new one with its own width. A column's width is the widest
 * cell in its block plus `padding`, and at least `minwidth`. '\f' ends every block (a flush), and so does
 * a line with no tab at all. Not supported: FilterHTML and Escape/StripEscape.
 */
import { stringWidth } from './text-width.js';

export interface TabWriterOptions {
  /** Minimal cell width, padding included. */
  minwidth: number;
  /** Width of a tab character, for tab padding. */
  tabwidth: number;
  /** Padding added to a cell's width. */
  padding: number;
  /** The padding character; '\t' pads with tabs (and forces left alignment). */
  padchar: string;
  alignRight?: boolean;
  /** Columns made only of empty '\v'-terminated cells take no space. */
  discardEmptyColumns?: boolean;
  /** Leading empty cells are padded with tabs whatever the padchar. */
  tabIndent?: boolean;
  /** A '|' between columns. */
  debug?: boolean;
  /** Count East Asian ambiguous-width characters as two cells. */
  eastAsianWidth?: boolean;
}

/** `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`, as docker/cli's formatter uses for tables. */
export const DOCKER_TABLE: TabWriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ' };

interface Cell {
  text: string;
  /** Display width in terminal cells. */
  width: number;
  /** Terminated by '\t' (a "hard" tab) rather than '\v'. */
  htab: boolean;
}

export class TabWriter {
  private out = '';
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private readonly opts: TabWriterOptions;

  constructor(opts: TabWriterOptions) {
    if (opts.minwidth < 0 || opts.tabwidth < 0 || opts.padding < 0) throw new RangeError('negative minwidth, tabwidth, or padding');
    this.opts = opts.padchar === '\t' ? { ...opts, alignRight: false } : opts;
  }

  /** Everything formatted so far (complete blocks, and everything after flush()). */
  get output(): string {
    return this.out;
  }

  /** Drains and returns the formatted output. */
  take(): string {
    const s = this.out;
    this.out = '';
    return s;
  }

  write(text: string): this {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line with a single cell cannot affect later lines' alignment, so everything so far is final.
        if (ch === '\f' || ncells === 1) {
          this.flushLines();
          if (ch === '\f' && this.opts.debug) this.out += '---\n';
        }
      }
    }
    this.cell += text.slice(start);
    return this;
  }

  /** Formats and emits everything buffered; call after the last write. */
  flush(): this {
    if (this.cell.length > 0) this.terminateCell(false);
    this.flushLines();
    return this;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1] as Cell[];
    line.push({ text: this.cell, width: stringWidth(this.cell, this.opts.eastAsianWidth ?? false), htab });
    this.cell = '';
    return line.length;
  }

  private flushLines(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  /** Formats lines [line0, line1), knowing the widths of the columns left of `widths.length`. */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= (this.lines[cur] as Cell[]).length - 1) continue;
      // This line has a cell in this column: a column block starts here.
      this.writeLines(line0, cur);
      line0 = cur;
      let width = this.opts.minwidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.lines[cur] as Cell[];
        if (column >= line.length - 1) break;
        const c = line[column] as Cell;
        width = Math.max(width, c.width + this.opts.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.opts.discardEmptyColumns) width = 0;
      // Format the columns to the right, now that this one's width is known.
      this.widths.push(width);
      this.format(line0, cur);
      this.widths.pop();
      line0 = cur;
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Cell[];
      let useTabs = this.opts.tabIndent ?? false;
      line.forEach((c, j) => {
        if (j > 0 && this.opts.debug) this.out += '|';
        const colWidth = this.widths[j];
        if (c.text.length === 0) {
          if (colWidth !== undefined) this.writePadding(c.width, colWidth, useTabs);
          return;
        }
        useTabs = false;
        if (this.opts.alignRight) {
          if (colWidth !== undefined) this.writePadding(c.width, colWidth, false);
          this.out += c.text;
        } else {
          this.out += c.text;
          if (colWidth !== undefined) this.writePadding(c.width, colWidth, false);
        }
      });
      // The last buffered line has no newline yet; any pending text of its open cell follows it.
      if (i + 1 === this.lines.length) this.out += this.cell;
      else this.out += '\n';
    }
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.opts.padchar === '\t' || useTabs) {
      const tw = this.opts.tabwidth;
      if (tw === 0) return; // tabs have no width: no padding possible
      const w = Math.ceil(cellw / tw) * tw;
      this.out += '\t'.repeat(Math.ceil((w - textw) / tw));
      return;
    }
    this.out += this.opts.padchar.repeat(cellw - textw);
  }
}

/** Runs text through a tabwriter configured as docker's tables (or `opts`) and returns the result. */
export function tabulate(text: string, opts: TabWriterOptions = DOCKER_TABLE): string {
  return new TabWriter(opts).write(text).flush().take();
}
