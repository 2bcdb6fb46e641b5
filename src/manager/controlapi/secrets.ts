/**
 * Secret use-cases (swarmkit `controlapi/secret.go` plus dockerd's reference resolution in
 * `daemon/cluster/helpers.go`): create, list (docker's filters), get, update (labels only, under `version`) and
 * remove (refused while a service references it). Validate, then transact.
 *
 * The data is sealed before it is stored (`Spec.Data = 'shoal-enc:v1:…'`, through the injected `SecretSealer`) and
 * never returned: every answer goes through `publicSecret`. Names are unique case-insensitively (the store's name
 * index), as in swarmkit.
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
  publicSecret,
  referencedIds,
} from '../../api/secret-spec.js';
import type { Secret } from '../../api/types.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { storeErrorCodes } from '../../store/core/errors.js';
import type { ReadTx } from '../../store/core/tables.js';
import type { ControlDeps, SecretSealer } from './deps.js';

export type SecretDeps = Pick<ControlDeps, 'store' | 'clock' | 'random'> & { secretBox: SecretSealer };

/** The services (names, sorted) whose spec references `id`. */
export async function servicesReferencing(tx: ReadTx, kind: 'secret' | 'config', id: string): Promise<string[]> {
  return (await tx.list('services'))
    .filter((s) => referencedIds(kind, s.Spec).includes(id))
    .map((s) => s.Spec.Name)
    .sort();
}

/** `POST /secrets/create`: validates, seals the data, stores. Returns the new ID. */
export async function createSecret(deps: SecretDeps, input: unknown): Promise<{ ID: string }> {
  const spec = parseSecretSpec('secret', input);
  try {
    const { result } = await deps.store.update(async (tx) => {
      if ((await tx.getByName('secrets', spec.Name)) !== undefined) throw nameExistsError('secret', spec.Name);
      const now = rfc3339Nano(deps.clock.now());
      const secret: Secret = {
        ID: newId(deps.random),
        Version: { Index: 0 },
        CreatedAt: now,
        UpdatedAt: now,
        Spec: { ...spec, Data: deps.secretBox.seal(spec.Data ?? '') },
      };
      tx.create('secrets', secret);
      return secret.ID;
    });
    return { ID: result };
  } catch (e) {
    if (isShoalError(e) && e.code === storeErrorCodes.nameConflict) throw nameExistsError('secret', spec.Name);
    throw e;
  }
}

/** `GET /secrets`: filters `id` and `name` (prefixes), `names` (exact), `label`. */
export async function listSecrets(deps: Pick<ControlDeps, 'store'>, filters?: Filters): Promise<Secret[]> {
  const f = filters ?? Filters.empty();
  f.validate(SECRET_FILTERS);
  return (await deps.store.view().list('secrets')).filter((s) => matchSecretFilters(f, s)).map(publicSecret);
}

/** `GET /secrets/{id}`: by full ID, exact name or unique ID prefix; never with its data. */
export async function getSecret(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<Secret> {
  return publicSecret(resolveRef<Secret>('secret', ref, await deps.store.view().list('secrets'), specNameGetters));
}

/** `POST /secrets/{id}/update?version=N`: only the labels may change. */
export async function updateSecret(deps: SecretDeps, ref: string, version: number, input: unknown): Promise<void> {
  await deps.store.update(async (tx) => {
    const current = resolveRef<Secret>('secret', ref, await tx.list('secrets'), specNameGetters);
    const labels = parseSecretUpdate('secret', input, {
      name: current.Spec.Name,
      data: current.Spec.Data === undefined ? '' : deps.secretBox.open(current.Spec.Data),
    });
    tx.update('secrets', {
      ...current,
      Version: { Index: version },
      UpdatedAt: rfc3339Nano(deps.clock.now()),
      Spec: { ...current.Spec, Labels: labels },
    });
  });
}

/** `DELETE /secrets/{id}`: refused while a service references the secret. */
export async function removeSecret(deps: Pick<ControlDeps, 'store'>, ref: string): Promise<void> {
  await deps.store.update(async (tx) => {
    const s = resolveRef<Secret>('secret', ref, await tx.list('secrets'), specNameGetters);
    const users = await servicesReferencing(tx, 'secret', s.ID);
    if (users.length > 0) throw inUseError('secret', s.Spec.Name, users);
    tx.delete('secrets', s.ID);
  });
}
