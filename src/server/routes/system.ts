import type { Router } from '../router.js';
import type { EngineBackend } from './backend.js';

/** `/version`, `/info`. (`/_ping` is served by the server itself, before routing.) */
export function systemRoutes(router: Router, b: EngineBackend): void {
  router.get('/version', (_req, res) => res.json(200, b.systemVersion()));
  router.get('/info', async (_req, res) => res.json(200, await b.systemInfo()));
}
