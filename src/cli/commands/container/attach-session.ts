/**
 * docker's hijackedIOStreamer: copies a hijacked attach/exec connection to the terminal and back.
 *
 * - Output: demultiplexed to stdout/stderr, or raw to stdout with a TTY (where the process's stderr is merged).
 * - Input (when attached): stdin's bytes go to the connection; at stdin's EOF the connection is half-closed, which
 *   closes the process's stdin. Without attached input the connection is half-closed at once, as docker does.
 * - With a TTY and attached stdin, the local terminal is in raw mode for the session (restored as soon as output
 *   ends), and the detach keys (ctrl-p ctrl-q) end the session leaving the process running.
 *
 * Resolves when the output ends ('done', or at once after input ends when no output is attached) or on the detach
 * keys ('detached'); rejects on a stream error.
 */
import type { HijackedStream } from '../../../client/hijack.js';
import { pumpOutput } from '../../../client/hijack.js';
import type { Output } from '../../context.js';
import { writeBytes } from './bytes-out.js';
import type { Terminal } from './terminal.js';

/** ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]);

const CTRL_KEYS = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** The detach keys to use: `keys` parsed, or the default (with a warning) when they do not parse. */
export function detachKeysOrDefault(keys: string | undefined, warn: (message: string) => void): Buffer {
  if (keys === undefined || keys === '') return DEFAULT_DETACH_KEYS;
  try {
    return parseDetachKeys(keys);
  } catch (e) {
    warn(`invalid detach escape keys, using default: ${(e as Error).message}`);
    return DEFAULT_DETACH_KEYS;
  }
}

/** moby/term's ToBytes: `--detach-keys "ctrl-a,x"` → the byte sequence; a single character stands for itself. */
export function parseDetachKeys(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(key);
    const i = m === null ? -1 : CTRL_KEYS.indexOf((m[1] as string).toLowerCase());
    if (i < 0) throw new Error(`Unknown character: '${key}'`);
    codes.push(i);
  }
  return Buffer.from(codes);
}

/**
 * Watches stdin for the detach sequence (moby/term's EscapeProxy): bytes that might start the sequence are held
 * back until they do or do not complete it.
 */
export class DetachKeysFilter {
  private held = 0;

  constructor(private readonly keys: Buffer = DEFAULT_DETACH_KEYS) {}

  /** The bytes to forward, and whether the sequence was completed (bytes after it are dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // A mismatch: the held bytes were ordinary input after all.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i] as number);
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface AttachSessionOptions {
  stream: HijackedStream;
  tty: boolean;
  /** Forward stdin to the process. */
  stdin: boolean;
  /** Copy the process's stdout / stderr (attach may select either). */
  stdout: boolean;
  stderr: boolean;
  out: Output;
  err: Output;
  terminal: Terminal;
  detachKeys?: Buffer;
}

export type SessionEnd = 'done' | 'detached';

export function runAttachSession(o: AttachSessionOptions): Promise<SessionEnd> {
  const { stream, terminal } = o;
  const raw = o.tty && o.stdin && terminal.stdinIsTTY;
  let restored = !raw;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    terminal.setRaw(false);
  };
  if (raw) terminal.setRaw(true);

  return new Promise<SessionEnd>((resolve, reject) => {
    let settled = false;
    let stopInput: (() => void) | undefined;
    const finish = (err: unknown, end?: SessionEnd): void => {
      if (settled) return;
      settled = true;
      stopInput?.();
      restore();
      if (err !== undefined) reject(err instanceof Error ? err : new Error('attach stream failed'));
      else resolve(end ?? 'done');
    };

    const hasOutput = o.stdout || o.stderr;
    if (hasOutput) {
      const errSink = o.tty ? o.out : o.err;
      pumpOutput(stream.socket as AsyncIterable<Buffer>, {
        stdout: (d) => {
          if (o.stdout) writeBytes(o.out, d);
        },
        stderr: (d) => {
          if (o.stderr) writeBytes(errSink, d);
        },
      }, !o.tty).then(
        () => {
          restore();
          finish(undefined, 'done');
        },
        (e: unknown) => finish(e),
      );
    } else {
      stream.socket.resume();
    }

    const inputEnded = (): void => {
      stream.closeWrite();
      if (!hasOutput) finish(undefined, 'done');
    };
    if (o.stdin) {
      const filter = o.tty ? new DetachKeysFilter(o.detachKeys) : undefined;
      stopInput = terminal.readStdin(
        (chunk) => {
          if (filter === undefined) {
            stream.socket.write(chunk);
            return;
          }
          const { forward, detach } = filter.push(chunk);
          if (forward.length > 0) stream.socket.write(forward);
          if (detach) {
            stream.close();
            finish(undefined, 'detached');
          }
        },
        () => {
          stopInput?.();
          stopInput = undefined;
          inputEnded();
        },
      );
    } else {
      inputEnded();
    }
    stream.socket.on('error', (e: Error) => finish(e));
  });
}
