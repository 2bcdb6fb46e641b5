/**
 * The Engine-API secret and config backends: the control API's use-cases on the manager's store, with the secrets
 * key of this manager (src/ca/secret-box.ts) injected for sealing.
 */
import { createConfig, getConfig, listConfigs, removeConfig, updateConfig } from '../manager/controlapi/configs.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { createSecret, getSecret, listSecrets, removeSecret, updateSecret, type SecretDeps } from '../manager/controlapi/secrets.js';
import type { ConfigBackend, SecretBackend } from '../server/routes/backend.js';

export function secretBackend(deps: () => SecretDeps): SecretBackend {
  return {
    create: (spec) => createSecret(deps(), spec),
    list: (filters) => listSecrets(deps(), filters),
    inspect: (ref) => getSecret(deps(), ref),
    update: (ref, version, spec) => updateSecret(deps(), ref, version, spec),
    remove: (ref) => removeSecret(deps(), ref),
  };
}

export function configBackend(deps: () => ControlDeps): ConfigBackend {
  return {
    create: (spec) => createConfig(deps(), spec),
    list: (filters) => listConfigs(deps(), filters),
    inspect: (ref) => getConfig(deps(), ref),
    update: (ref, version, spec) => updateConfig(deps(), ref, version, spec),
    remove: (ref) => removeConfig(deps(), ref),
  };
}
