/**
 * The order `shoal stack deploy` creates a stack's services in (issue 6: docker's stack ignores `depends_on`,
 * Shoal does not). `creationWaves(project, existing)` cuts the services into waves:
 *
 *  - a service comes after every service it depends on (compose's `depends_on`, whatever the condition);
 *  - a service to be created (not in `existing`) that depends on another with `service_healthy` or
 *    `service_completed_successfully` goes to a later wave than that dependency, and its wave lists the wait:
 *    the deploy waits for those conditions before creating the wave's services;
 *  - `service_started` needs no wait: being created (or updated) earlier in the same wave is enough;
 *  - services that already exist (a redeploy) are updated in their place, never waited for, and never make a wait
 *    of their own dependencies.
 *
 * A wave is as early as its waits allow; inside a wave services come after their dependencies, ties by name. Waits
 * are per wave, so a service may wait on a condition only a wave-mate needs (a deploy stays a list of steps).
 * Optional dependencies (`required: false`) on undefined services are skipped; a required one, a service depending
 * on itself or a cycle throws InvalidArgument 'stack.invalid' naming the service (the loader refuses them first).
 *
 * Pure: no node:*.
 */
import { invalidArgument } from '../../api/errors.js';
import type { ComposeDependency, ComposeProject } from './types.js';

export type WaitCondition = 'service_healthy' | 'service_completed_successfully';

/** Before a wave: wait until `dependency` meets `condition`; `dependents` are the wave's services that asked. */
export interface DependencyWait {
  dependency: string;
  condition: WaitCondition;
  dependents: string[];
}

export interface CreationWave {
  /** Sorted by dependency, then condition. */
  waits: DependencyWait[];
  /** Service keys, in creation order. */
  services: string[];
}

const bad = (message: string): Error => invalidArgument('stack.invalid', message);

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const waits = (d: ComposeDependency): boolean => d.condition !== 'service_started';

/** The dependencies of each service that exist in the project, sorted by name. */
function edges(project: ComposeProject): Map<string, [string, ComposeDependency][]> {
  const out = new Map<string, [string, ComposeDependency][]>();
  for (const name of Object.keys(project.services).sort(byteOrder)) {
    const s = project.services[name];
    const deps: [string, ComposeDependency][] = [];
    for (const dep of Object.keys(s?.depends_on ?? {}).sort(byteOrder)) {
      const d = s?.depends_on[dep] as ComposeDependency;
      if (dep === name) throw bad(`service ${name}: depends_on: service "${name}" depends on itself`);
      if (project.services[dep] === undefined) {
        if (!d.required) continue;
        throw bad(`service ${name}: depends_on: service "${dep}" is not defined`);
      }
      deps.push([dep, d]);
    }
    out.set(name, deps);
  }
  return out;
}

export function creationWaves(project: ComposeProject, existing: ReadonlySet<string> = new Set()): CreationWave[] {
  const graph = edges(project);
  const level = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    if (visiting.includes(name)) throw bad(`service ${name}: depends_on: dependency cycle: ${[...visiting.slice(visiting.indexOf(name)), name].join(' -> ')}`);
    visiting.push(name);
    const gated = !existing.has(name);
    let l = 0;
    for (const [dep, d] of graph.get(name) ?? []) l = Math.max(l, visit(dep) + (gated && waits(d) ? 1 : 0));
    visiting.pop();
    level.set(name, l);
    return l;
  };
  for (const name of graph.keys()) visit(name);

  const waves: CreationWave[] = [];
  const placed = new Set<string>();
  const count = Math.max(-1, ...level.values()) + 1;
  for (let l = 0; l < count; l++) {
    const members = [...graph.keys()].filter((n) => level.get(n) === l); // sorted: graph keys are
    const services: string[] = [];
    // Dependencies inside the wave (service_started ones, or any of an existing service) come first.
    while (services.length < members.length) {
      const next = members.find((n) => !placed.has(n) && (graph.get(n) ?? []).every(([dep]) => placed.has(dep)));
      if (next === undefined) throw bad(`dependency cycle among services ${members.filter((n) => !placed.has(n)).join(', ')}`); // unreachable: visit() found none
      placed.add(next);
      services.push(next);
    }
    const byKey = new Map<string, DependencyWait>();
    for (const name of services) {
      if (existing.has(name)) continue;
      for (const [dep, d] of graph.get(name) ?? []) {
        if (!waits(d)) continue;
        const condition = d.condition as WaitCondition;
        const key = `${dep}\u0000${condition}`;
        const w = byKey.get(key) ?? { dependency: dep, condition, dependents: [] };
        w.dependents.push(name);
        byKey.set(key, w);
      }
    }
    const list = [...byKey.values()].sort((a, b) => byteOrder(a.dependency, b.dependency) || byteOrder(a.condition, b.condition));
    if (services.length > 0) waves.push({ waits: list, services });
  }
  return waves;
}
