import type { Router } from '../router.js';
import type { EngineBackend } from './backend.js';

/** `/nodes`: list (filters), inspect by ID/name/prefix, update under `version`, remove (`force`). */
export function nodeRoutes(router: Router, b: EngineBackend): void {
  router.get('/nodes', async (req, res) => res.json(200, await b.nodes.list(req.filters())));
  router.get('/nodes/{id}', async (req, res) => res.json(200, await b.nodes.inspect(req.param('id'))));
  router.post('/nodes/{id}/update', async (req, res) => {
    const version = req.queryRequiredUint('version');
    await b.nodes.update(req.param('id'), version, await req.json());
    res.empty(200);
  });
  router.delete('/nodes/{id}', async (req, res) => {
    await b.nodes.remove(req.param('id'), req.queryBool('force'));
    res.empty(200);
  });
}
