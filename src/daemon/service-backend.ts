/**
 * The Engine-API service and task backends: the control API on the manager's store, and task logs read from the
 * containers this node runs (tasks on other nodes join when a multi-node log broker exists).
 */
import { Filters } from '../api/filters.js';
import { readLogs } from '../agent/containers/logs.js';
import type { ContainerService } from '../agent/containers/service.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { createService, getService, listServices, removeService, updateService } from '../manager/controlapi/services.js';
import { getTask, listTasks } from '../manager/controlapi/tasks.js';
import type { ServiceBackend, SwarmLogsOptions, TaskBackend, TaskLogLine } from '../server/routes/backend.js';
import type { Task } from '../api/types.js';

/** Interleaves several async iterables, yielding items as they come. */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number): void => {
    const it = its[i];
    if (it) pending.set(i, it.next().then((r) => ({ i, r })));
  };
  its.forEach((_, i) => pull(i));
  while (pending.size > 0) {
    const { i, r } = await Promise.race(pending.values());
    if (r.done) {
      pending.delete(i);
      continue;
    }
    pull(i);
    yield r.value;
  }
}

function taskLogs(containers: ContainerService, tasks: Task[], o: SwarmLogsOptions, signal: AbortSignal): AsyncIterable<TaskLogLine> {
  const sources: AsyncIterable<TaskLogLine>[] = [];
  for (const t of tasks) {
    const [c] = containers.list({ all: true, filters: Filters.of({ label: [`com.docker.swarm.task.id=${t.ID}`] }) });
    if (!c) continue;
    const src = containers.logSource(c.Id);
    const lines = readLogs(src.path, { stdout: o.stdout, stderr: o.stderr, since: o.since, until: 0, tail: o.tail, follow: o.follow }, { running: src.running, signal });
    sources.push(
      (async function* () {
        for await (const l of lines) {
          yield { nodeId: t.NodeID ?? '', serviceId: t.ServiceID, taskId: t.ID, stream: l.stream, time: l.time, text: l.text };
        }
      })(),
    );
  }
  return merge(sources);
}

export function serviceBackend(deps: () => ControlDeps, containers: ContainerService): ServiceBackend {
  return {
    create: async (spec) => {
      const r = await createService(deps(), spec);
      return { ID: r.service.ID, Warnings: r.warnings };
    },
    list: (opts) => listServices(deps(), opts),
    inspect: (ref, opts) => getService(deps(), ref, opts),
    update: async (ref, r) => ({ Warnings: (await updateService(deps(), ref, { version: r.version, spec: r.spec, rollback: r.rollback })).warnings }),
    remove: (ref) => removeService(deps(), ref),
    logs: async (serviceId, o, signal) => {
      const tasks = await listTasks(deps(), Filters.of({ service: [serviceId] }));
      return taskLogs(containers, tasks, o, signal);
    },
  };
}

export function taskBackend(deps: () => ControlDeps, containers: ContainerService): TaskBackend {
  return {
    list: (filters) => listTasks(deps(), filters),
    inspect: (ref) => getTask(deps(), ref),
    logs: async (taskId, o, signal) => taskLogs(containers, [await getTask(deps(), taskId)], o, signal),
  };
}
