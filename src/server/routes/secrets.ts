/**
 * `/secrets/*` and `/configs/*` (dockerd `api/server/router/swarm`): create (201 `{ID}`), list (`filters`: `id`,
 * `name`, `names`, `label`), inspect, update (`version`, labels only; 200 with no body) and remove (204).
 * Validation and the secrecy of secret data belong to the backend (src/manager/controlapi/secrets.ts).
 */
import { messages, unavailable } from '../../api/errors.js';
import { SECRET_FILTERS } from '../../api/secret-spec.js';
import type { Router } from '../router.js';
import type { EngineBackend, SecretLikeBackend } from './backend.js';

function routesFor<T>(router: Router, path: 'secrets' | 'configs', get: () => SecretLikeBackend<T> | undefined): void {
  const b = (): SecretLikeBackend<T> => {
    const backend = get();
    if (backend === undefined) throw unavailable('swarm.not_manager', messages.notManager);
    return backend;
  };
  router.post(`/${path}/create`, async (req, res) => {
    const spec = await req.json();
    res.json(201, await b().create(spec));
  });
  router.get(`/${path}`, async (req, res) => {
    res.json(200, await b().list(req.filters(SECRET_FILTERS)));
  });
  router.get(`/${path}/{id}`, async (req, res) => {
    res.json(200, await b().inspect(req.param('id')));
  });
  router.post(`/${path}/{id}/update`, async (req, res) => {
    const version = req.queryRequiredUint('version');
    const spec = await req.json();
    await b().update(req.param('id'), version, spec);
    res.empty(200);
  });
  router.delete(`/${path}/{id}`, async (req, res) => {
    await b().remove(req.param('id'));
    res.noContent();
  });
}

export function secretRoutes(router: Router, backend: Pick<EngineBackend, 'secrets' | 'configs'>): void {
  routesFor(router, 'secrets', () => backend.secrets);
  routesFor(router, 'configs', () => backend.configs);
}
