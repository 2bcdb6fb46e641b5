import type { Router } from '../router.js';
import type { EngineBackend } from './backend.js';

/** `/swarm/*`: init (the reply is the node ID as a bare JSON string), join, leave, inspect, update, unlockkey. */
export function swarmRoutes(router: Router, b: EngineBackend): void {
  router.post('/swarm/init', async (req, res) => res.json(200, await b.swarmInit(await req.json())));
  router.post('/swarm/join', async (req, res) => {
    await b.swarmJoin(await req.json());
    res.empty(200);
  });
  router.post('/swarm/leave', async (req, res) => {
    await b.swarmLeave(req.queryBool('force'));
    res.empty(200);
  });
  router.get('/swarm', async (_req, res) => res.json(200, await b.swarmInspect()));
  router.post('/swarm/update', async (req, res) => {
    const version = req.queryRequiredUint('version');
    const rotateWorkerToken = req.queryBool('rotateWorkerToken');
    const rotateManagerToken = req.queryBool('rotateManagerToken');
    const rotateManagerUnlockKey = req.queryBool('rotateManagerUnlockKey');
    await b.swarmUpdate({ version, spec: await req.json(), rotateWorkerToken, rotateManagerToken, rotateManagerUnlockKey });
    res.empty(200);
  });
  router.get('/swarm/unlockkey', async (_req, res) => res.json(200, await b.swarmUnlockKey()));
}
