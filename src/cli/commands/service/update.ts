/**
 * `service update [OPTIONS] SERVICE`, as the docker CLI runs it: `GET /services/{ref}?insertDefaults=false`, the
 * flags applied to the current spec (update-spec.ts), secrets and configs merged (names resolved), the image pinned
 * through `/distribution` when --image is given, `POST /services/{id}/update?registryAuthFrom=spec&version=N`
 * (`rollback=previous` with --rollback), warnings on stderr, the name as typed on stdout, then the progress.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceInspect, serviceUpdate } from '../../../client/services.js';
import type { ConfigReference, SecretReference, ServiceUpdateOptions } from '../../../client/service-types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { addUpdateFlags } from './flags.js';
import type { ServiceFlags } from './flags.js';
import { processServiceHost, registryAuthForImage } from './host.js';
import type { ServiceHost } from './host.js';
import { resolveSpecImage } from './image.js';
import { resolveConfigs, resolveNetworkID, resolveSecrets } from './refs.js';
import { flagsBesidesRollback, updateService } from './update-spec.js';
import { printWarnings, waitFor } from './wait.js';

async function updatedSecrets(client: EngineClient, f: ServiceFlags, current: readonly SecretReference[]): Promise<SecretReference[]> {
  const toRemove = new Set(f.secretRm ?? []);
  const kept = current.filter((s) => !toRemove.has(s.SecretName));
  if (f.secretAdd === undefined) return kept;
  return [...kept, ...(await resolveSecrets(client, f.secretAdd))];
}

async function updatedConfigs(client: EngineClient, f: ServiceFlags, current: readonly ConfigReference[], credSpecConfigID: string): Promise<ConfigReference[]> {
  const credName = f.credentialSpec?.value.Config ?? '';
  const toRemove = new Set(f.configRm ?? []);
  const kept: ConfigReference[] = [];
  for (const c of current) {
    if (c.Runtime !== undefined && c.Runtime !== null) {
      if ((credName !== '' && c.ConfigName === credName) || (credSpecConfigID !== '' && c.ConfigID === credSpecConfigID)) kept.push(c);
      continue;
    }
    if (!toRemove.has(c.ConfigName)) kept.push(c);
  }
  const resolve: ConfigReference[] = [...(f.configAdd ?? [])];
  if (credName !== '' && !kept.some((c) => c.Runtime && c.ConfigName === credName)) resolve.push({ ConfigID: '', ConfigName: credName, Runtime: {} });
  return resolve.length > 0 ? [...kept, ...(await resolveConfigs(client, resolve))] : kept;
}

export async function run(ctx: CliContext, client: EngineClient, ref: string, f: ServiceFlags, host: ServiceHost = processServiceHost()): Promise<void> {
  const service = await serviceInspect(client, ref, { insertDefaults: false });
  const spec = structuredClone(service.Spec);
  const opts: ServiceUpdateOptions = { version: service.Version.Index };
  if (f.rollback === true) {
    if (flagsBesidesRollback(f).length > 0) throw new CliError('other flags may not be combined with --rollback');
    opts.rollback = 'previous';
  }
  await updateService(spec, f, (n) => resolveNetworkID(client, n));
  const queryRegistry = f.image !== undefined && f.resolveImage !== false;

  const cs = (spec.TaskTemplate.ContainerSpec ??= {});
  cs.Secrets = await updatedSecrets(client, f, cs.Secrets ?? []);
  const credSpecConfigID = f.credentialSpec === undefined ? (cs.Privileges?.CredentialSpec?.Config ?? '') : '';
  cs.Configs = await updatedConfigs(client, f, cs.Configs ?? [], credSpecConfigID);
  if (f.credentialSpec !== undefined) {
    if (f.credentialSpec.source === '') {
      if (cs.Privileges) cs.Privileges.CredentialSpec = null;
    } else {
      const value = { ...f.credentialSpec.value };
      if (value.Config !== undefined && value.Config !== '') {
        const found = cs.Configs.find((c) => c.ConfigName === value.Config);
        if (found) value.Config = found.ConfigID;
      }
      cs.Privileges ??= { CredentialSpec: null, SELinuxContext: null };
      cs.Privileges.CredentialSpec = value;
    }
  }

  if (f.withRegistryAuth === true) opts.registryAuth = registryAuthForImage(cs.Image ?? '', ctx.env);
  else opts.registryAuthFrom = 'spec';

  const extraWarnings = await resolveSpecImage(client, spec, { queryRegistry, registryAuth: opts.registryAuth });
  const res = await serviceUpdate(client, service.ID, spec, opts);
  printWarnings(ctx, [...(res.Warnings ?? []), ...extraWarnings]);
  ctx.out.write(`${ref}\n`);
  if (f.detach === true) return;
  await waitFor(ctx, client, host, ref, f.quiet === true);
}

export function register(parent: Command, ctx: CliContext): void {
  const cmd = parent.command('update').description('Update a service').usage('[OPTIONS] SERVICE').argument('<service>');
  addUpdateFlags(cmd, ctx, () => process.cwd());
  cmd.action(async (ref: string, f: ServiceFlags) => run(ctx, await ctx.client(), ref, f));
}
