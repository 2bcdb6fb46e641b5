import { Filters } from '../../api/filters.js';
import { unavailable } from '../../api/errors.js';
import type { Router } from '../router.js';
import type { EngineBackend, VolumeBackend } from './backend.js';

/**
 * `/volumes/*` (Engine API 1.47): list (`{Volumes, Warnings}`), create (201, the volume; an existing name answers
 * the existing one), inspect, remove (204, `force`), prune (`{VolumesDeleted, SpaceReclaimed}`; before API 1.42
 * prune removed every unused volume, so older clients get `all=true`).
 */
export function volumeRoutes(router: Router, b: Pick<EngineBackend, 'volumes'>): void {
  const vol = (): VolumeBackend => {
    if (b.volumes === undefined) throw unavailable('volume.unavailable', 'volumes are not available on this daemon');
    return b.volumes;
  };
  router.get('/volumes', async (req, res) => {
    res.json(200, { Volumes: await vol().list(req.filters()), Warnings: null });
  });
  router.post('/volumes/create', async (req, res) => {
    res.json(201, await vol().create((await req.jsonOptional()) ?? {}));
  });
  router.post('/volumes/prune', async (req, res) => {
    let filters = req.filters();
    if (!req.versionAtLeast('1.42') && !filters.has('all')) {
      const entries: Record<string, string[]> = { all: ['true'] };
      for (const k of filters.keys()) entries[k] = filters.values(k);
      filters = Filters.of(entries);
    }
    res.json(200, await vol().prune(filters));
  });
  router.get('/volumes/{name}', async (req, res) => {
    res.json(200, await vol().inspect(req.param('name')));
  });
  router.delete('/volumes/{name}', async (req, res) => {
    await vol().remove(req.param('name'), req.queryBool('force'));
    res.empty(204);
  });
}
