/**
 * docker's MonitorTtySize: sends the local terminal's size to the container's (or exec's) TTY once at start, with a
 * few retries while the process comes up, and again on every SIGWINCH. A 0×0 size (no terminal) is never sent.
 */
import type { Terminal } from './terminal.js';

export type ResizeFn = (height: number, width: number) => Promise<void>;

export interface MonitorOptions {
  retries?: number;
  /** Wait before retry `n` (1-based), ms. */
  backoffMs?: (n: number) => number;
  /** Where "failed to resize tty, using default size" goes. */
  warn?: (message: string) => void;
}

export async function monitorTtySize(terminal: Terminal, resize: ResizeFn, o: MonitorOptions = {}): Promise<() => void> {
  const send = async (): Promise<void> => {
    const s = terminal.size();
    if (s === undefined || (s.rows === 0 && s.columns === 0)) return;
    await resize(s.rows, s.columns);
  };
  // Subscribe first, so a resize during the initial one is not lost.
  const unsubscribe = terminal.onResize(() => {
    send().catch(() => undefined);
  });
  const retries = o.retries ?? 10;
  const backoff = o.backoffMs ?? ((n: number) => n * 10);
  for (let attempt = 0; ; attempt++) {
    try {
      await send();
      break;
    } catch {
      if (attempt >= retries) {
        o.warn?.('failed to resize tty, using default size');
        break;
      }
      await new Promise((r) => setTimeout(r, backoff(attempt + 1)));
    }
  }
  return unsubscribe;
}
