import { messages, unavailable } from '../../api/errors.js';
import type { Router } from '../router.js';
import type { EngineBackend, TaskBackend } from './backend.js';
import { logsOptions, writeSwarmLogs } from './services.js';

/** `/tasks`: list (`filters`), inspect by ID, task name or ID prefix, and one task's logs. */
export function taskRoutes(router: Router, b: Pick<EngineBackend, 'tasks'>): void {
  const tasks = (): TaskBackend => {
    if (b.tasks === undefined) throw unavailable('swarm.not_manager', messages.notManager);
    return b.tasks;
  };
  router.get('/tasks', async (req, res) => res.json(200, await tasks().list(req.filters())));
  router.get('/tasks/{id}', async (req, res) => res.json(200, await tasks().inspect(req.param('id'))));
  router.get('/tasks/{id}/logs', async (req, res) => {
    const opts = logsOptions(req);
    const t = await tasks().inspect(req.param('id'));
    const tty = t.Spec.ContainerSpec?.TTY === true;
    await writeSwarmLogs(req, res, tty, opts, await tasks().logs(t.ID, opts, req.signal));
  });
}
