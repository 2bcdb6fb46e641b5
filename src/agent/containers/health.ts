/**
 * Healthchecks, as docker runs them: a probe every `interval` (`CMD` exec'd directly, `CMD-SHELL` through
 * `/bin/sh -c`), each bounded by `timeout`; `retries` consecutive failures make the container unhealthy, one success
 * makes it healthy; failures inside `start_period` do not count. The last five results are kept.
 */
import type { HealthcheckConfig, HealthLogEntry, HealthStatusName } from '../../api/container.js';
import { rfc3339Nano, type Clock } from '../../lib/clock.js';
import { formatDuration } from '../../lib/duration.js';
import type { Logger } from '../../lib/logger.js';
import type { ExecProcess, Runtime } from '../exec/runtime.js';

const SECOND = 1e9;
export const HEALTH_DEFAULTS = { interval: 30 * SECOND, timeout: 30 * SECOND, retries: 3, startPeriod: 0 };
const MAX_OUTPUT = 4096;
const KEEP = 5;

export interface HealthState {
  Status: HealthStatusName;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** The effective check, or undefined when there is none (`NONE`, or no test at all). */
export function effectiveHealthcheck(fromRequest: HealthcheckConfig | null | undefined, fromImage: HealthcheckConfig | undefined): Required<Pick<HealthcheckConfig, 'Test'>> & HealthcheckConfig | undefined {
  // docker's merge: each field the request leaves empty or zero (the CLI sends zeros) keeps the image's value.
  const merged: HealthcheckConfig = { ...(fromImage ?? {}) };
  if (fromRequest?.Test && fromRequest.Test.length > 0) merged.Test = fromRequest.Test;
  for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const v = fromRequest?.[f];
    if (typeof v === 'number' && v !== 0) merged[f] = v;
  }
  const test = merged.Test;
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  return { ...merged, Test: test };
}

export function probeArgs(test: readonly string[]): string[] {
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  if (test[0] === 'CMD') return test.slice(1);
  return [...test];
}

async function collect(stream: NodeJS.ReadableStream, into: { text: string }): Promise<void> {
  for await (const chunk of stream) {
    if (into.text.length < MAX_OUTPUT) into.text += String(chunk);
  }
}

/** Runs the probes of one container until `signal` aborts; reports every state change through `onChange`. */
export async function runHealthchecks(opts: {
  containerId: string;
  check: HealthcheckConfig & { Test: string[] };
  runtime: Runtime;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  startedAt: number;
  onChange: (h: HealthState) => void;
}): Promise<void> {
  const interval = opts.check.Interval || HEALTH_DEFAULTS.interval;
  const timeout = opts.check.Timeout || HEALTH_DEFAULTS.timeout;
  const retries = opts.check.Retries || HEALTH_DEFAULTS.retries;
  const startPeriod = opts.check.StartPeriod || HEALTH_DEFAULTS.startPeriod;
  const startInterval = opts.check.StartInterval || interval;
  const state: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };
  opts.onChange({ ...state, Log: [...state.Log] });
  const args = probeArgs(opts.check.Test);
  while (!opts.signal.aborted) {
    const inStartPeriod = opts.clock.now() - opts.startedAt < startPeriod / 1e6;
    try {
      await opts.clock.sleep((inStartPeriod && state.Status === 'starting' ? startInterval : interval) / 1e6, opts.signal);
    } catch {
      return;
    }
    const start = opts.clock.now();
    // docker judges a failure by when its probe started, not by when the wait before it began.
    const probeInStartPeriod = start - opts.startedAt < startPeriod / 1e6;
    let exitCode: number;
    const out = { text: '' };
    let proc: ExecProcess | undefined;
    try {
      proc = await opts.runtime.exec(opts.containerId, { args });
      proc.stdin.end();
      const done = Promise.all([collect(proc.stdout, out), collect(proc.stderr, out)]).then(() => proc?.exited);
      const timer = new AbortController();
      const timedOut = opts.clock.sleep(timeout / 1e6, timer.signal).then(() => 'timeout' as const, () => 'cancelled' as const);
      const r = await Promise.race([done, timedOut]);
      timer.abort();
      if (r === 'timeout') {
        proc.kill('SIGKILL');
        exitCode = -1;
        out.text = `Health check exceeded timeout (${formatDuration(timeout)})${out.text === '' ? '' : `: ${out.text}`}`;
      } else {
        exitCode = typeof r === 'number' ? r : -1;
      }
    } catch (e) {
      if (opts.signal.aborted) return;
      exitCode = -1;
      out.text = e instanceof Error ? e.message : String(e);
    }
    if (opts.signal.aborted) return;
    const entry: HealthLogEntry = { Start: rfc3339Nano(start), End: rfc3339Nano(opts.clock.now()), ExitCode: exitCode, Output: out.text.slice(0, MAX_OUTPUT) };
    state.Log = [...state.Log, entry].slice(-KEEP);
    if (exitCode === 0) {
      state.Status = 'healthy';
      state.FailingStreak = 0;
    } else if (!(probeInStartPeriod && state.Status === 'starting')) {
      state.FailingStreak++;
      if (state.FailingStreak >= retries) state.Status = 'unhealthy';
    }
    opts.logger.debug({ container: opts.containerId, exitCode, status: state.Status }, 'healthcheck');
    opts.onChange({ ...state, Log: [...state.Log] });
  }
}
