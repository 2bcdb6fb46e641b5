/**
 * The Engine-API service and task backends: the control API on the manager's store, and task logs from every node
 * (this one's too) through the manager's log broker (src/manager/logbroker).
 */
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { createService, getService, listServices, removeService, updateService } from '../manager/controlapi/services.js';
import { getTask, listTasks } from '../manager/controlapi/tasks.js';
import type { ServiceBackend, SwarmLogsOptions, TaskBackend, TaskLogLine } from '../server/routes/backend.js';
import { messages, unavailable } from '../api/errors.js';
import type { LogBroker, LogSelector } from '../manager/logbroker/index.js';

/** The log lines of the selected tasks from every node that holds one, through the manager's log broker. */
async function swarmLogs(logs: () => LogBroker | undefined, selector: LogSelector, o: SwarmLogsOptions, signal: AbortSignal): Promise<AsyncIterable<TaskLogLine>> {
  const broker = logs();
  if (!broker) throw unavailable('swarm.not_manager', messages.notManager);
  return broker.subscribe(selector, { ...o, timestamps: false }, signal);
}

export function serviceBackend(deps: () => ControlDeps, logs: () => LogBroker | undefined): ServiceBackend {
  return {
    create: async (spec, opts) => {
      const r = await createService(deps(), spec, { registryAuth: opts.registryAuth });
      return { ID: r.service.ID, Warnings: r.warnings };
    },
    list: (opts) => listServices(deps(), opts),
    inspect: (ref, opts) => getService(deps(), ref, opts),
    update: async (ref, r) => ({
      Warnings: (await updateService(deps(), ref, { version: r.version, spec: r.spec, rollback: r.rollback, registryAuth: r.registryAuth, registryAuthFrom: r.registryAuthFrom })).warnings,
    }),
    remove: (ref) => removeService(deps(), ref),
    logs: (serviceId, o, signal) => swarmLogs(logs, { serviceId }, o, signal),
  };
}

export function taskBackend(deps: () => ControlDeps, logs: () => LogBroker | undefined): TaskBackend {
  return {
    list: (filters) => listTasks(deps(), filters),
    inspect: (ref) => getTask(deps(), ref),
    logs: (taskId, o, signal) => swarmLogs(logs, { taskId }, o, signal),
  };
}
