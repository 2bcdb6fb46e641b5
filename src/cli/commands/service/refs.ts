/**
 * Name → ID resolution around a service spec, as the docker CLI does it (cli/command/service/parse.go, opts.go):
 * `--secret`/`--config` names through one `GET /secrets?filters={"name":{…}}` (a prefix filter, narrowed to exact
 * names here), and `--network` names through `GET /networks/{name}?scope=swarm`.
 */
import type { EngineClient } from '../../../client/index.js';
import { configList, networkInspect, secretList } from '../../../client/services.js';
import type { ConfigReference, NetworkAttachmentConfig, SecretReference } from '../../../client/service-types.js';
import { CliError } from '../../errors.js';

function nameFilter(names: Iterable<string>): Record<string, Record<string, boolean>> {
  const values: Record<string, boolean> = {};
  for (const n of names) values[n] = true;
  return { name: values };
}

/** ParseSecrets: fills SecretID; a repeated target or an unknown name is an error. */
export async function resolveSecrets(client: EngineClient, requested: readonly SecretReference[]): Promise<SecretReference[]> {
  if (requested.length === 0) return [];
  const byTarget = new Map<string, SecretReference>();
  for (const s of requested) {
    const target = s.File?.Name ?? '';
    if (byTarget.has(target)) throw new CliError(`duplicate secret target for ${s.SecretName} not allowed`);
    byTarget.set(target, { ...s, ...(s.File ? { File: { ...s.File } } : {}) });
  }
  const found = new Map<string, string>();
  for (const s of await secretList(client, nameFilter([...byTarget.values()].map((r) => r.SecretName)))) found.set(s.Spec.Name, s.ID);
  const out: SecretReference[] = [];
  for (const ref of byTarget.values()) {
    const id = found.get(ref.SecretName);
    if (id === undefined) throw new CliError(`secret not found: ${ref.SecretName}`);
    ref.SecretID = id;
    out.push(ref);
  }
  return out;
}

/** ParseConfigs: fills ConfigID; Runtime targets (credential specs) are kept once per config. */
export async function resolveConfigs(client: EngineClient, requested: readonly ConfigReference[]): Promise<ConfigReference[]> {
  if (requested.length === 0) return [];
  const byTarget = new Map<string, ConfigReference>();
  const runtime = new Map<string, ConfigReference>();
  for (const c of requested) {
    const copy: ConfigReference = { ...c, ...(c.File ? { File: { ...c.File } } : {}) };
    if (c.Runtime !== undefined && c.Runtime !== null) {
      runtime.set(c.ConfigName, copy);
      continue;
    }
    const target = c.File?.Name ?? '';
    if (byTarget.has(target)) throw new CliError(`duplicate config target for ${c.ConfigName} not allowed`);
    byTarget.set(target, copy);
  }
  const names = [...byTarget.values(), ...runtime.values()].map((r) => r.ConfigName);
  const found = new Map<string, string>();
  for (const c of await configList(client, nameFilter(names))) found.set(c.Spec.Name, c.ID);
  const out: ConfigReference[] = [];
  for (const ref of [...byTarget.values(), ...runtime.values()]) {
    const id = found.get(ref.ConfigName);
    if (id === undefined) throw new CliError(`config not found: ${ref.ConfigName}`);
    ref.ConfigID = id;
    out.push(ref);
  }
  return out;
}

/** resolveNetworkID: the network's ID from `GET /networks/{name}?scope=swarm`. */
export async function resolveNetworkID(client: EngineClient, ref: string): Promise<string> {
  return (await networkInspect(client, ref, { scope: 'swarm' })).Id;
}

/** The --network attachments with their Target resolved to network IDs (in the order given). */
export async function resolveNetworks(client: EngineClient, networks: readonly NetworkAttachmentConfig[]): Promise<NetworkAttachmentConfig[]> {
  const out: NetworkAttachmentConfig[] = [];
  for (const n of networks) out.push({ ...n, Target: await resolveNetworkID(client, n.Target ?? '') });
  return out;
}
