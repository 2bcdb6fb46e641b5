/**
 * The Engine-API routes. Handlers only translate HTTP to backend calls: parse path, query and body, call the
 * backend, write the reply. Validation of content happens in the backend; errors flow to the server's one
 * error mapper.
 */
import { Router } from '../router.js';
import type { EngineBackend } from './backend.js';
import { containerRoutes } from './containers.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { nodeRoutes } from './nodes.js';
import { secretRoutes } from './secrets.js';
import { distributionRoutes, serviceRoutes } from './services.js';
import { swarmRoutes } from './swarm.js';
import { systemRoutes } from './system.js';
import { taskRoutes } from './tasks.js';
import { volumeRoutes } from './volumes.js';

export type { EngineBackend } from './backend.js';

export function engineRouter(backend: EngineBackend): Router {
  const router = new Router();
  systemRoutes(router, backend);
  swarmRoutes(router, backend);
  nodeRoutes(router, backend);
  containerRoutes(router, backend);
  imageRoutes(router, backend);
  serviceRoutes(router, backend);
  taskRoutes(router, backend);
  distributionRoutes(router, backend);
  volumeRoutes(router, backend);
  networkRoutes(router, backend);
  secretRoutes(router, backend);
  return router;
}
