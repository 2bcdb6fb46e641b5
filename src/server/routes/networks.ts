import { messages, unavailable } from '../../api/errors.js';
import type { Router } from '../router.js';
import type { EngineBackend, NetworkBackend } from './backend.js';

/**
 * `/networks/*` (docs/docker-engine-api.md §3.4, moby `api/server/router/network`): list (`filters`: name, id,
 * label, driver, scope, type, dangling), inspect by ID, name or ID prefix (`verbose`, `scope`), create (201
 * `{Id, Warning}`), remove (204) and prune (`{NetworksDeleted}`, null when nothing went).
 */
export function networkRoutes(router: Router, b: Pick<EngineBackend, 'networks'>): void {
  const nets = (): NetworkBackend => {
    if (b.networks === undefined) throw unavailable('swarm.not_manager', messages.notManager);
    return b.networks;
  };
  router.get('/networks', async (req, res) => res.json(200, await nets().list(req.filters())));
  router.get('/networks/{id}', async (req, res) => {
    const opts = { verbose: req.queryBool('verbose'), scope: req.queryString('scope') ?? '' };
    res.json(200, await nets().inspect(req.param('id'), opts));
  });
  router.post('/networks/create', async (req, res) => {
    const r = await nets().create(await req.json());
    res.json(201, { Id: r.Id, Warning: r.Warning });
  });
  router.delete('/networks/{id}', async (req, res) => {
    await nets().remove(req.param('id'));
    res.noContent();
  });
  router.post('/networks/prune', async (req, res) => {
    const removed = await nets().prune(req.filters());
    res.json(200, { NetworksDeleted: removed.length === 0 ? null : removed });
  });
}
