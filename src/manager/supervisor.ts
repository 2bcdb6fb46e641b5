/**
 * Runs a leader's components together (DESIGN §4.1): every component is `run(signal)`. When one fails, all are
 * aborted, and after a backoff they all start again from a fresh snapshot of the store; a component returning
 * normally before the supervisor stops counts as a failure too (a component's loop must not end by itself).
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

export interface Component {
  readonly name: string;
  run(signal: AbortSignal): Promise<void>;
}

export interface SupervisorOptions {
  clock: Clock;
  logger: Logger;
  /** Delay before restarting after a failure; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export async function supervise(components: () => Component[], signal: AbortSignal, o: SupervisorOptions): Promise<void> {
  let backoff = o.backoffMs ?? 200;
  const max = o.maxBackoffMs ?? 5000;
  while (!signal.aborted) {
    const round = new AbortController();
    // Every component watches the store on this signal: more listeners than node's default warning threshold.
    setMaxListeners(64, round.signal);
    const stop = (): void => round.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const list = components();
    let failure: { name: string; error: unknown } | undefined;
    const started = o.clock.now();
    await Promise.all(
      list.map(async (c) => {
        try {
          await c.run(round.signal);
          if (!round.signal.aborted) failure ??= { name: c.name, error: new Error(`component ${c.name} stopped by itself`) };
        } catch (e) {
          if (!round.signal.aborted) failure ??= { name: c.name, error: e };
        } finally {
          if (!round.signal.aborted) round.abort();
        }
      }),
    );
    signal.removeEventListener('abort', stop);
    if (signal.aborted) return;
    if (failure) o.logger.error({ component: failure.name, err: failure.error }, 'component failed; restarting all components');
    if (o.clock.now() - started > 60_000) backoff = o.backoffMs ?? 200;
    try {
      await o.clock.sleep(backoff, signal);
    } catch {
      return;
    }
    backoff = Math.min(backoff * 2, max);
  }
}
