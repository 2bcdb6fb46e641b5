/**
 * The local terminal as the interactive verbs see it (run -it, exec -it, start -ai, image prune's prompt,
 * image load from stdin): whether stdin and stdout are terminals, stdout's size and its changes (SIGWINCH), raw
 * mode, stdin as bytes, a line prompt, and signals to forward. `processTerminal()` is the real one over `process`;
 * tests pass a fake. Output itself goes through the CliContext's Outputs.
 */
import type { Readable } from 'node:stream';

export interface TerminalSize {
  rows: number;
  columns: number;
}

export interface Terminal {
  readonly stdinIsTTY: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** stdout's size when it is a terminal. */
  size(): TerminalSize | undefined;
  /** Calls `fn` when stdout's size changes; returns the unsubscribe function. */
  onResize(fn: () => void): () => void;
  /** Puts stdin in raw mode (or back); does nothing when stdin is not a terminal. */
  setRaw(raw: boolean): void;
  /** Streams stdin's bytes to `onData` until EOF (`onEnd`) or until the returned stop function is called. */
  readStdin(onData: (chunk: Buffer) => void, onEnd: () => void): () => void;
  /** Reads one line of stdin (without its newline); undefined at EOF. */
  readLine(): Promise<string | undefined>;
  /** stdin as a byte stream (image load without -i). */
  stdin(): Readable;
  /** Calls `fn(name)` for each of these signals (names like "SIGINT") instead of the default action; returns the undo. */
  onSignals(signals: readonly NodeJS.Signals[], fn: (signal: NodeJS.Signals) => void): () => void;
}

export function processTerminal(): Terminal {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const release = (): void => {
    stdin.pause();
    if (typeof (stdin as { unref?: () => void }).unref === 'function') (stdin as { unref: () => void }).unref();
  };
  return {
    stdinIsTTY: stdin.isTTY === true,
    stdoutIsTTY: stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    size: () => (stdout.isTTY === true ? { rows: stdout.rows, columns: stdout.columns } : undefined),
    onResize(fn) {
      stdout.on('resize', fn);
      return () => {
        stdout.off('resize', fn);
      };
    },
    setRaw(raw) {
      if (stdin.isTTY === true) stdin.setRawMode(raw);
    },
    readStdin(onData, onEnd) {
      const data = (c: Buffer | string): void => onData(typeof c === 'string' ? Buffer.from(c) : c);
      stdin.on('data', data);
      stdin.once('end', onEnd);
      if (typeof (stdin as { ref?: () => void }).ref === 'function') (stdin as { ref: () => void }).ref();
      stdin.resume();
      return () => {
        stdin.off('data', data);
        stdin.off('end', onEnd);
        release();
      };
    },
    readLine() {
      return new Promise((resolve) => {
        let buf = '';
        const done = (line: string | undefined): void => {
          stdin.off('data', data);
          stdin.off('end', end);
          release();
          resolve(line);
        };
        const data = (c: Buffer | string): void => {
          buf += typeof c === 'string' ? c : c.toString('utf8');
          const nl = buf.indexOf('\n');
          if (nl >= 0) done(buf.slice(0, nl).replace(/\r$/, ''));
        };
        const end = (): void => done(buf === '' ? undefined : buf);
        stdin.on('data', data);
        stdin.once('end', end);
        stdin.resume();
      });
    },
    stdin: () => stdin,
    onSignals(signals, fn) {
      const handlers = signals.map((s) => {
        const h = (): void => fn(s);
        process.on(s, h);
        return [s, h] as const;
      });
      return () => {
        for (const [s, h] of handlers) process.off(s, h);
      };
    },
  };
}
