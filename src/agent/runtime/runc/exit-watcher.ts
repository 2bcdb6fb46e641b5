/**
 * Waits for containers to exit, including ones a previous agent process created: it watches the exit directory
 * (conmon writes `<exit dir>/<id>` by rename when the init process exits) and also polls, which covers a missed
 * inotify event and a conmon that died without writing its file. The watch and the poll run only while someone
 * waits.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { ShoalError } from '../../../api/errors.js';
import type { Logger } from '../../../lib/logger.js';

interface Waiter<T> {
  id: string;
  check: () => Promise<T | undefined>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export class ExitWatcher<T> {
  private readonly waiters = new Set<Waiter<T>>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private again = false;

  constructor(
    private readonly dir: string,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  /** Resolves with `check()`'s first defined value; checks now, on every change in the directory, and on a timer. */
  wait(id: string, check: () => Promise<T | undefined>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(canceled(signal));
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        id,
        check,
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        this.remove(w);
        w.reject(canceled(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
      this.arm();
      this.kick();
    });
  }

  /** Stops watching; pending waits reject as canceled. */
  close(): void {
    for (const w of [...this.waiters]) {
      this.remove(w);
      w.reject(new ShoalError('Canceled', 'runtime.closed', 'the runtime was closed'));
    }
  }

  private remove(w: Waiter<T>): void {
    this.waiters.delete(w);
    if (this.waiters.size === 0) this.disarm();
  }

  private arm(): void {
    if (!this.watcher) {
      try {
        this.watcher = watch(this.dir, (_event, file) => this.kick(typeof file === 'string' ? file : undefined));
        this.watcher.on('error', (e) => {
          this.log.warn({ err: e }, 'exit directory watch failed; polling only');
          this.watcher?.close();
          this.watcher = undefined;
        });
      } catch (e) {
        this.log.warn({ err: e }, 'cannot watch the exit directory; polling only');
      }
    }
    this.timer ??= setInterval(() => this.kick(), this.pollMs);
  }

  private disarm(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Runs the checks of the waiters for `file` (a container ID; every waiter when undefined). Coalesces bursts of
   * events: while a pass runs, later kicks turn into one more pass over every waiter.
   */
  private kick(file?: string): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    void (async () => {
      let only = file;
      do {
        this.again = false;
        const due = [...this.waiters].filter((w) => only === undefined || w.id === only);
        only = undefined;
        for (const w of due) {
          try {
            const v = await w.check();
            if (v !== undefined && this.waiters.has(w)) {
              this.remove(w);
              w.resolve(v);
            }
          } catch (e) {
            this.remove(w);
            w.reject(e instanceof Error ? e : new Error(String(e)));
          }
        }
      } while (this.again);
      this.checking = false;
    })();
  }
}

function canceled(signal: AbortSignal | undefined): ShoalError {
  return new ShoalError('Canceled', 'runtime.wait_canceled', 'waiting for the container was canceled', { cause: signal?.reason });
}
