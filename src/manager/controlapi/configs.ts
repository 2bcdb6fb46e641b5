/**
 * Config use-cases (swarmkit `controlapi/config.go`): the same rules as secrets (src/manager/controlapi/secrets.ts)
 * except that a config's data is stored as given (base64, not sealed), may be up to 1000 KiB, and is returned.
 */
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { resolveRef, specNameGetters } from '../../api/resolve.js';
import {
  SECRET_FILTERS,
  inUseError,
  matchSecretFilters,
  nameExistsError,
  parseSecretSpec,
  parseSecretUpdate,
  publicConfig,
} from '../../api/secret-spec.js';
import type { Config } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { storeErrorCodes } from '../../store/core/errors.js';
import type { ControlDeps } from './deps.js';
import { servicesReferencing } from './secrets.js';

type ConfigDeps = Pick<ControlDeps, 'store' | 'clock' | 'random'>;

/** `POST /configs/create`. Returns the new ID. */
export async function createConfig(deps: ConfigDeps, input: unknown): Promise<{ ID: string }> {
  const spec = parseSecretSpec('config', input);
  try {
    const { result } = await deps.store.update(async (tx) => {
      if ((await tx.getByName('configs', spec.Name)) !== undefined) throw nameExistsError('config', spec.Name);
      const now = rfc3339Nano(deps.clock.now());
      const config: Config = { ID: newId(deps.random), Version: { Index: 0 }, CreatedAt: now, UpdatedAt: now, Spec: spec };
      tx.create('configs', config);
      return config.ID;
    });
    return { ID: result };
  } catch (e) {
    if (isShoalError(e) && e.code === storeErrorCodes.nameConflict) throw nameExistsError('config', spec.Name);
    throw e;
  }
}

/** `GET /configs`: filters `id` and `name` (prefixes), `names` (exact), `label`. */
export async function listConfigs(deps: Pick<ControlDeps, 'store'>, filters?: Filters): Promise<Config[]> {
  const f = filters ?? Filters.empty();
  f.validate(SECRET_FILTERS);
  return (await deps.store.view().list('configs')).filter((c) => matchSecretFilters(f, c)).map(publicConfig);
}

/** `GET /configs/{id}`: by full ID, exact name or unique ID prefix, with its data. */
export async function getConfig(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<Config> {
  return publicConfig(resolveRef<Config>('config', ref, await deps.store.view().list('configs'), specNameGetters));
}

/** `POST /configs/{id}/update?version=N`: only the labels may change. */
export async function updateConfig(deps: Pick<ControlDeps, 'store' | 'clock'>, ref: string, version: number, input: unknown): Promise<void> {
  await deps.store.update(async (tx) => {
    const current = resolveRef<Config>('config', ref, await tx.list('configs'), specNameGetters);
    const labels = parseSecretUpdate('config', input, { name: current.Spec.Name, data: current.Spec.Data ?? '' });
    tx.update('configs', {
      ...current,
      Version: { Index: version },
      UpdatedAt: rfc3339Nano(deps.clock.now()),
      Spec: { ...current.Spec, Labels: labels },
    });
  });
}

/** `DELETE /configs/{id}`: refused while a service references the config. */
export async function removeConfig(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const c = resolveRef<Config>('config', ref, await tx.list('configs'), specNameGetters);
    const users = await servicesReferencing(tx, 'config', c.ID);
    if (users.length > 0) throw inUseError('config', c.Spec.Name, users);
    tx.delete('configs', c.ID);
  });
}
