/**
 * swarm's defaults for restart and update policies, and the Engine API's nanosecond durations in milliseconds.
 * A missing UpdateConfig means the defaults; a present one reads missing numbers as Go's zero values (so a
 * missing Parallelism is 0, "all at once"), except Monitor, which falls back to 5 s as swarmkit does.
 */
import type { Service, UpdateConfig } from '../../api/types.js';

export const DEFAULT_RESTART_DELAY_MS = 5_000;
export const DEFAULT_MONITOR_MS = 5_000;
export const DEFAULT_TASK_HISTORY_RETENTION = 5;

export function nsToMs(ns: number | undefined): number | undefined {
  return ns === undefined ? undefined : ns / 1e6;
}

export interface EffectiveUpdateConfig {
  /** 0 means every dirty slot at once. */
  parallelism: number;
  delayMs: number;
  failureAction: 'pause' | 'continue' | 'rollback';
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
}

const SWARM_DEFAULT: EffectiveUpdateConfig = {
  parallelism: 1,
  delayMs: 0,
  failureAction: 'pause',
  monitorMs: DEFAULT_MONITOR_MS,
  maxFailureRatio: 0,
  order: 'stop-first',
};

export function effectiveUpdateConfig(c: UpdateConfig | undefined): EffectiveUpdateConfig {
  if (c === undefined) return { ...SWARM_DEFAULT };
  return {
    parallelism: Math.max(0, c.Parallelism ?? 0),
    delayMs: Math.max(0, nsToMs(c.Delay) ?? 0),
    failureAction: c.FailureAction ?? 'pause',
    monitorMs: Math.max(0, nsToMs(c.Monitor) ?? DEFAULT_MONITOR_MS),
    maxFailureRatio: Math.max(0, c.MaxFailureRatio ?? 0),
    order: c.Order ?? 'stop-first',
  };
}

/** The config that drives the service's current rollout: RollbackConfig while rolling back, else UpdateConfig. */
export function rolloutConfigOf(service: Service): EffectiveUpdateConfig {
  return service.UpdateStatus?.State === 'rollback_started'
    ? effectiveUpdateConfig(service.Spec.RollbackConfig)
    : effectiveUpdateConfig(service.Spec.UpdateConfig);
}
