/** The TaskLogFiles port over ContainerService: a task's container is the one labelled with its task ID. */
import { Filters } from '../../api/filters.js';
import type { ContainerService } from '../containers/service.js';
import type { TaskLogFiles } from './log-agent.js';

export function containerLogFiles(containers: ContainerService): TaskLogFiles {
  return {
    find(taskId) {
      const [c] = containers.list({ all: true, filters: Filters.of({ label: [`com.docker.swarm.task.id=${taskId}`] }) });
      if (c === undefined) return undefined;
      const src = containers.logSource(c.Id);
      return { path: src.path, running: src.running };
    },
  };
}
