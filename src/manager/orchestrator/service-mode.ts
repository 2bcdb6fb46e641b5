/**
 * Which orchestrator owns a service, and the mode's numbers (replicas, job sizes), with swarm's defaults:
 * a spec without a mode is replicated with one replica; a job's MaxConcurrent defaults to 1 and its
 * TotalCompletions to MaxConcurrent.
 */
import type { Service } from '../../api/types.js';

export type ModeKind = 'replicated' | 'global' | 'replicated-job' | 'global-job';

export function modeOf(service: Service): ModeKind | undefined {
  const m = service.Spec.Mode;
  if (m === undefined) return 'replicated';
  if (m.Replicated !== undefined) return 'replicated';
  if (m.Global !== undefined) return 'global';
  if (m.ReplicatedJob !== undefined) return 'replicated-job';
  if (m.GlobalJob !== undefined) return 'global-job';
  return undefined;
}

export const isJobMode = (mode: ModeKind): boolean => mode === 'replicated-job' || mode === 'global-job';

/** Global modes keep one task per node: their "slot" is the node. */
export const isPerNodeMode = (mode: ModeKind): boolean => mode === 'global' || mode === 'global-job';

export function replicasOf(service: Service): number {
  return Math.max(0, service.Spec.Mode?.Replicated?.Replicas ?? 1);
}

export function jobSizeOf(service: Service): { maxConcurrent: number; totalCompletions: number } {
  const j = service.Spec.Mode?.ReplicatedJob;
  const maxConcurrent = j?.MaxConcurrent !== undefined && j.MaxConcurrent > 0 ? j.MaxConcurrent : 1;
  const totalCompletions = j?.TotalCompletions !== undefined && j.TotalCompletions > 0 ? j.TotalCompletions : maxConcurrent;
  return { maxConcurrent, totalCompletions };
}
