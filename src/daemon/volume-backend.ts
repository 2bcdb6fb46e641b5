/** The Engine-API volume backend over the agent's VolumeStore (the one ContainerService references volumes in). */
import type { VolumeStore } from '../agent/volumes/index.js';
import type { VolumeBackend } from '../server/routes/backend.js';

export function volumeBackend(store: VolumeStore): VolumeBackend {
  return {
    list: async (filters) => store.list(filters),
    create: async (body) => store.create(body),
    inspect: async (name) => store.inspect(name),
    remove: (name, force) => store.remove(name, { force }),
    prune: (filters) => store.prune(filters),
  };
}
