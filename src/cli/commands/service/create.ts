/**
 * `service create [OPTIONS] IMAGE [COMMAND] [ARG...]`, as the docker CLI runs it: the spec from the flags (with
 * `GET /networks/{name}?scope=swarm` per --network), secrets and configs resolved by name, the image tagged and
 * pinned through `GET /distribution/{image}/json` (a failed lookup warns), `POST /services/create`, the warnings on
 * stderr, the new ID on stdout, then the convergence progress unless --detach.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceCreate } from '../../../client/services.js';
import type { CliContext } from '../../context.js';
import { addCreateFlags } from './flags.js';
import type { ServiceFlags } from './flags.js';
import { processServiceHost, registryAuthForImage } from './host.js';
import type { ServiceHost } from './host.js';
import { resolveSpecImage } from './image.js';
import { resolveConfigs, resolveNetworks, resolveSecrets } from './refs.js';
import { buildServiceSpec } from './spec.js';
import { printWarnings, waitFor } from './wait.js';

export async function run(ctx: CliContext, client: EngineClient, image: string, args: string[], f: ServiceFlags, host: ServiceHost = processServiceHost()): Promise<void> {
  // ToService checks every flag before it looks networks up, so a bad combination costs no request.
  buildServiceSpec(f, image, args, [], { readFile: host.readFile, env: ctx.env });
  const networks = await resolveNetworks(client, f.network ?? []);
  const spec = buildServiceSpec(f, image, args, networks, { readFile: host.readFile, env: ctx.env });
  const cs = spec.TaskTemplate.ContainerSpec;
  if (cs) {
    if ((f.secret ?? []).length > 0) cs.Secrets = await resolveSecrets(client, f.secret ?? []);
    const configs = [...(f.config ?? [])];
    const credConfig = f.credentialSpec?.value.Config;
    if (credConfig !== undefined && credConfig !== '') configs.push({ ConfigID: '', ConfigName: credConfig, Runtime: {} });
    if (configs.length > 0) {
      cs.Configs = await resolveConfigs(client, configs);
      if (credConfig !== undefined && credConfig !== '' && cs.Privileges?.CredentialSpec) {
        const found = cs.Configs.find((c) => c.ConfigName === credConfig);
        if (found) cs.Privileges.CredentialSpec.Config = found.ConfigID;
      }
    }
  }
  const registryAuth = f.withRegistryAuth === true ? registryAuthForImage(image, ctx.env) : undefined;
  const extraWarnings = await resolveSpecImage(client, spec, { queryRegistry: f.resolveImage !== false, registryAuth });
  const res = await serviceCreate(client, spec, { registryAuth });
  printWarnings(ctx, [...(res.Warnings ?? []), ...extraWarnings]);
  ctx.out.write(`${res.ID}\n`);
  if (f.detach === true) return;
  await waitFor(ctx, client, host, res.ID, f.quiet === true);
}

export function register(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('create')
    .description('Create a new service')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions();
  addCreateFlags(cmd, ctx, () => process.cwd());
  cmd.action(async (image: string, command: string[], f: ServiceFlags) => run(ctx, await ctx.client(), image, command, f));
}
