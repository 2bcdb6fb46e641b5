/**
 * `stack deploy -c FILE [-c FILE...] [--prune] [--resolve-image always|changed|never] [--with-registry-auth]
 * [--detach=false] [-q] [--dry-run] [--dependency-timeout D] STACK` (alias `up`), as the docker CLI runs it (cli/command/stack/swarm/
 * deploy*.go, docs/docker-engine-api.md §3.7), on the plan of compose/model/stack.ts:
 *
 *  1. the files are loaded and the plan made, and every secret/config file read, before any call (a bad file
 *     changes nothing); `GET /info` must say this node is a manager;
 *  2. `--prune`: the stack's services not in the file are removed (`Removing service x`);
 *  3. external networks must exist and be swarm-scoped; missing stack networks are created (`Creating network x`),
 *     matched by name among the networks carrying the namespace label;
 *  4. secrets and configs: `GET /secrets/<name>` 404 → create (`Creating secret x`), 200 → update with the same data;
 *  5. services: created (`Creating service x`), or, unlike docker, updated only when the spec differs from the
 *     daemon's (`Updating service x (id: ID)`), keeping the current `ForceUpdate` and, for `--resolve-image
 *     changed|never` with an unchanged image, the current (digest-pinned) image and its platforms (a failed lookup
 *     with `always` leaves the image unpinned, with docker's warning, as docker does). `--with-registry-auth`
 *     sends the `X-Registry-Auth` of the image's registry ($DOCKER_CONFIG/config.json) with every lookup, create
 *     and update, and then updates every existing service, as docker does (the daemon never shows the credentials
 *     it holds, so they cannot be compared; it restarts tasks only when the spec or the credentials changed).
 *     Unlike docker, services are deployed in `depends_on` order (compose/model/stack-order.ts): a new service is
 *     created after its dependencies and, for `service_healthy`/`service_completed_successfully`, once they got
 *     there (`Waiting for service x_db to be healthy before creating x_web`, dependencies.ts;
 *     `--dependency-timeout`, default 2m), in both --detach modes;
 *  6. `--detach=false`: waits until every service converged or failed, and fails naming each service that failed,
 *     with its task and reason (wait.ts); a redeploy after the cause is fixed converges.
 *
 * `--dry-run` reads the same state and prints `Would create ...`, `Would update ...`, `Would remove ...` and the
 * dependency waits (`Would wait for service ...`) in the order they would happen, changing nothing.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import type { ServiceSpec as ApiServiceSpec } from '../../../api/types.js';
import type { EngineClient } from '../../../client/index.js';
import { networkCreate, networkGet, networkList } from '../../../client/networks.js';
import { configCreate, configInspect, configUpdate, secretCreate, secretInspect, secretUpdate } from '../../../client/secrets.js';
import { serviceCreate, serviceRemove, serviceUpdate } from '../../../client/services.js';
import type { Service, ServiceSpec } from '../../../client/service-types.js';
import { LABEL_IMAGE, toStackPlan } from '../../../compose/model/stack.js';
import type { StackData, StackFileObjectPlan, StackPlan } from '../../../compose/model/stack.js';
import { creationWaves } from '../../../compose/model/stack-order.js';
import type { ComposeProject } from '../../../compose/model/types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { collect, durationOption } from '../../options.js';
import { processServiceHost, registryAuthForImage } from '../service/host.js';
import type { ServiceHost } from '../service/host.js';
import { resolveSpecImage } from '../service/image.js';
import { resolveConfigs, resolveSecrets } from '../service/refs.js';
import { printWarnings } from '../service/wait.js';
import { waitForDependencies, waitingLine } from './dependencies.js';
import type { ResolvedWait } from './dependencies.js';
import { checkStackName, loadComposeFiles, processComposeHost, stackNetworks, stackServices, stackTasks } from './common.js';
import type { ComposeHost } from './common.js';
import { specChanged } from './spec-diff.js';
import { waitOnStack } from './wait.js';

export type ResolveImage = 'always' | 'changed' | 'never';

export interface DeployOptions {
  composeFile?: string[];
  prune?: boolean;
  resolveImage?: string;
  withRegistryAuth?: boolean;
  /** Default true, as docker's; false waits for convergence. */
  detach?: boolean;
  /** Whether --detach was given at all (docker notes its default otherwise). */
  detachGiven?: boolean;
  quiet?: boolean;
  dryRun?: boolean;
  /** ns; how long a new service waits for each depends_on condition (default 120 s). */
  dependencyTimeout?: number;
}

export const DEFAULT_DEPENDENCY_TIMEOUT_NS = 120e9;

export interface StackHost {
  compose: ComposeHost;
  service: ServiceHost;
}

export function processStackHost(env: Readonly<Record<string, string | undefined>>): StackHost {
  return { compose: processComposeHost(env), service: processServiceHost() };
}

/** A plan spec as the client sends it (the same JSON shape; the client's types are the wire's). */
function clientSpec(spec: ApiServiceSpec): ServiceSpec {
  const copy = JSON.parse(JSON.stringify(spec)) as ServiceSpec;
  copy.Labels ??= {};
  return copy;
}

/** The secret/config bytes, base64, read from the file, the inline content or the environment. */
function readData(host: ComposeHost, kind: string, o: StackFileObjectPlan): string {
  const d: StackData = o.data;
  if ('file' in d) {
    const bytes = host.readBytes(d.file);
    if (bytes === undefined) throw new CliError(`${kind} ${o.name}: open ${d.file}: no such file or directory`);
    return Buffer.from(bytes).toString('base64');
  }
  if ('content' in d) return Buffer.from(d.content, 'utf8').toString('base64');
  const value = host.env[d.environment];
  if (value === undefined) throw new CliError(`${kind} ${o.name}: environment variable ${d.environment} is not set`);
  return Buffer.from(value, 'utf8').toString('base64');
}

function parseResolveImage(v: string | undefined): ResolveImage {
  const r = v ?? 'always';
  if (r !== 'always' && r !== 'changed' && r !== 'never') throw new CliError(`Invalid option ${r} for flag --resolve-image`);
  return r;
}

async function pruneServices(ctx: CliContext, client: EngineClient, plan: StackPlan, dry: boolean): Promise<void> {
  const keep = new Set(plan.services.map((s) => s.name));
  const old = (await stackServices(client, plan.stack)).filter((s) => !keep.has(s.Spec.Name ?? '')).sort((a, b) => ((a.Spec.Name ?? '') < (b.Spec.Name ?? '') ? -1 : 1));
  for (const s of old) {
    ctx.out.write(`${dry ? 'Would remove' : 'Removing'} service ${s.Spec.Name ?? ''}\n`);
    if (!dry) await serviceRemove(client, s.ID);
  }
}

async function checkExternalNetworks(client: EngineClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (['bridge', 'host', 'none', 'default'].includes(name) || name.startsWith('container:')) continue;
    let scope: string;
    try {
      scope = (await networkGet(client, name)).Scope;
    } catch (e) {
      if (isShoalError(e, 'NotFound')) {
        throw new CliError(`network "${name}" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed`);
      }
      throw e;
    }
    if (scope !== 'swarm') throw new CliError(`network "${name}" is declared as external, but it is not in the right scope: "${scope}" instead of "swarm"`);
  }
}

async function createNetworks(ctx: CliContext, client: EngineClient, plan: StackPlan, dry: boolean): Promise<void> {
  const existing = new Set((await stackNetworks(client, plan.stack)).map((n) => n.Name));
  for (const n of plan.networks) {
    if (existing.has(n.name)) continue;
    ctx.out.write(`${dry ? 'Would create' : 'Creating'} network ${n.name}\n`);
    if (dry) continue;
    try {
      await networkCreate(client, n.create);
    } catch (e) {
      throw new CliError(`failed to create network ${n.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

async function createFileObjects(ctx: CliContext, client: EngineClient, kind: 'secret' | 'config', objects: readonly (StackFileObjectPlan & { Data: string })[], dry: boolean): Promise<void> {
  const inspect = kind === 'secret' ? secretInspect : configInspect;
  const update = kind === 'secret' ? secretUpdate : configUpdate;
  const create = kind === 'secret' ? secretCreate : configCreate;
  for (const o of objects) {
    const spec = { Name: o.name, Labels: o.labels, Data: o.Data };
    let found: { ID: string; Version: { Index: number } } | undefined;
    try {
      found = await inspect(client, o.name);
    } catch (e) {
      if (!isShoalError(e, 'NotFound')) throw e;
    }
    if (found !== undefined) {
      if (dry) continue;
      try {
        await update(client, found.ID, found.Version.Index, spec);
      } catch (e) {
        throw new CliError(`failed to update ${kind} ${o.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      continue;
    }
    ctx.out.write(`${dry ? 'Would create' : 'Creating'} ${kind} ${o.name}\n`);
    if (dry) continue;
    try {
      await create(client, spec);
    } catch (e) {
      throw new CliError(`failed to create ${kind} ${o.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** What deploying the services needs besides the plan: the project's depends_on, the waits' clock and budget. */
interface ServiceDeploy {
  project: ComposeProject;
  host: StackHost;
  /** Task IDs that existed before the deploy (their failures are history); undefined on a dry run. */
  history: ReadonlySet<string> | undefined;
}

/**
 * Creates or updates the services wave by wave (compose/model/stack-order.ts): before a wave, its new services'
 * `service_healthy`/`service_completed_successfully` dependencies are waited for (dependencies.ts); existing
 * services are updated without waiting. Returns the IDs of all of them (for the --detach=false wait).
 */
async function deployServices(ctx: CliContext, client: EngineClient, plan: StackPlan, o: DeployOptions, resolveImage: ResolveImage, d: ServiceDeploy): Promise<string[]> {
  const dry = o.dryRun === true;
  const existing = new Map<string, Service>();
  for (const s of await stackServices(client, plan.stack)) existing.set(s.Spec.Name ?? '', s);
  const networkNames = new Map<string, string>();
  for (const n of await networkList(client)) networkNames.set(n.Id, n.Name);
  const byKey = new Map(plan.services.map((p) => [p.key, p]));
  const planned = (key: string): StackPlan['services'][number] => {
    const p = byKey.get(key);
    if (p === undefined) throw new CliError(`service ${key} is not in the stack plan`); // unreachable: both come from one project
    return p;
  };
  const waves = creationWaves(d.project, new Set(plan.services.filter((p) => existing.has(p.name)).map((p) => p.key)));
  const idByKey = new Map<string, string>();
  const ids: string[] = [];
  for (const wave of waves) {
    const waits: ResolvedWait[] = wave.waits.map((w) => ({ name: planned(w.dependency).name, id: idByKey.get(w.dependency) ?? '', condition: w.condition, dependents: w.dependents.map((k) => planned(k).name) }));
    if (dry) for (const w of waits) ctx.out.write(waitingLine(w, true) + '\n');
    else if (waits.length > 0) {
      const env = d.host.service.waitEnvironment();
      try {
        await waitForDependencies(ctx, client, plan.stack, waits, env, { timeoutMs: (o.dependencyTimeout ?? DEFAULT_DEPENDENCY_TIMEOUT_NS) / 1e6, history: d.history ?? new Set() });
      } finally {
        env.dispose();
      }
    }
    for (const key of wave.services) {
      const id = await deployService(ctx, client, planned(key), existing.get(planned(key).name), networkNames, o, resolveImage);
      if (id === undefined) continue;
      idByKey.set(key, id);
      ids.push(id);
    }
  }
  return ids;
}

/** Creates the service, or updates it when its spec changed; its ID (undefined for a creation on a dry run). */
async function deployService(
  ctx: CliContext,
  client: EngineClient,
  planned: StackPlan['services'][number],
  current: Service | undefined,
  networkNames: ReadonlyMap<string, string>,
  o: DeployOptions,
  resolveImage: ResolveImage,
): Promise<string | undefined> {
  const dry = o.dryRun === true;
  const spec = clientSpec(planned.spec);
  const cs = spec.TaskTemplate.ContainerSpec ?? {};
  const image = cs.Image ?? '';
  const registryAuth = o.withRegistryAuth === true ? registryAuthForImage(image, ctx.env) : undefined;
  if (!dry) {
    if ((cs.Secrets ?? []).length > 0) cs.Secrets = await resolveSecrets(client, cs.Secrets ?? []);
    if ((cs.Configs ?? []).length > 0) cs.Configs = await resolveConfigs(client, cs.Configs ?? []);
  }
  if (current === undefined) {
    ctx.out.write(`${dry ? 'Would create' : 'Creating'} service ${planned.name}\n`);
    if (dry) return undefined;
    const warnings = await resolveSpecImage(client, spec, { queryRegistry: resolveImage !== 'never', registryAuth });
    let res;
    try {
      res = await serviceCreate(client, spec, { registryAuth });
    } catch (e) {
      throw new CliError(`failed to create service ${planned.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    printWarnings(ctx, [...(res.Warnings ?? []), ...warnings]);
    return res.ID;
  }
  const currentCs = current.Spec.TaskTemplate.ContainerSpec;
  const sameImage = image === current.Spec.Labels?.[LABEL_IMAGE];
  let warnings: string[] = [];
  if (resolveImage === 'always' || (resolveImage === 'changed' && !sameImage)) {
    warnings = await resolveSpecImage(client, spec, { queryRegistry: true, registryAuth });
  } else {
    if (sameImage && currentCs?.Image !== undefined) {
      // the digest the last deploy resolved, and the platforms that came with it (docker drops those: an update)
      cs.Image = currentCs.Image;
      const platforms = current.Spec.TaskTemplate.Placement?.Platforms;
      if (platforms !== undefined && platforms !== null && platforms.length > 0) {
        spec.TaskTemplate.Placement ??= {};
        spec.TaskTemplate.Placement.Platforms = platforms;
      }
    }
    warnings = await resolveSpecImage(client, spec, { queryRegistry: false, registryAuth });
  }
  spec.TaskTemplate.ForceUpdate = current.Spec.TaskTemplate.ForceUpdate ?? 0;
  // The daemon keeps the credentials out of sight, so they cannot be compared: with them, the update always goes.
  if (registryAuth === undefined && !specChanged(current.Spec, spec, networkNames)) return current.ID;
  ctx.out.write(`${dry ? 'Would update' : 'Updating'} service ${planned.name} (id: ${current.ID})\n`);
  if (dry) return current.ID;
  let res;
  try {
    res = await serviceUpdate(client, current.ID, spec, { version: current.Version.Index, ...(registryAuth !== undefined ? { registryAuth } : {}) });
  } catch (e) {
    throw new CliError(`failed to update service ${planned.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  printWarnings(ctx, [...(res.Warnings ?? []), ...warnings]);
  return current.ID;
}

export async function run(ctx: CliContext, client: EngineClient, stack: string, o: DeployOptions, host: StackHost = processStackHost(ctx.env)): Promise<void> {
  checkStackName(stack);
  const resolveImage = parseResolveImage(o.resolveImage);
  const dry = o.dryRun === true;
  // Everything that can be wrong with the files is found before the first call.
  const project = loadComposeFiles(host.compose, o.composeFile ?? [], stack);
  const plan = toStackPlan(project, stack);
  creationWaves(project); // a depends_on cycle or an undefined service fails here, before anything is made
  for (const w of plan.warnings) ctx.err.write(w + '\n');
  const secrets = plan.secrets.map((s) => ({ ...s, Data: readData(host.compose, 'secret', s) }));
  const configs = plan.configs.map((c) => ({ ...c, Data: readData(host.compose, 'config', c) }));

  const detach = o.detach !== false;
  if (detach && o.detachGiven !== true && !dry) {
    ctx.err.write('Since --detach=false was not specified, tasks will be created in the background.\nIn a future release, --detach=false will become the default.\n');
  }
  const info = await client.info();
  if (info.Swarm?.ControlAvailable !== true) {
    throw new CliError('this node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again');
  }
  if (o.prune === true) await pruneServices(ctx, client, plan, dry);
  await checkExternalNetworks(client, plan.externalNetworks);
  await createNetworks(ctx, client, plan, dry);
  await createFileObjects(ctx, client, 'secret', secrets, dry);
  await createFileObjects(ctx, client, 'config', configs, dry);
  // the tasks before the deploy: their failures are history, for the dependency waits and the --detach=false wait
  const before = dry ? undefined : new Set((await stackTasks(client, stack)).map((t) => t.ID));
  const ids = await deployServices(ctx, client, plan, o, resolveImage, { project, host, history: before });
  if (detach || dry || before === undefined) return;
  const env = host.service.waitEnvironment();
  try {
    await waitOnStack(ctx, client, stack, ids, env, { quiet: o.quiet === true, before });
  } finally {
    env.dispose();
  }
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('deploy')
    .alias('up')
    .description('Deploy a new stack or update an existing stack')
    .usage('[OPTIONS] STACK')
    .argument('<stack>')
    .option('-c, --compose-file <file>', 'Path to a Compose file, or "-" to read from stdin', collect)
    .option('--prune', 'Prune services that are no longer referenced')
    .option('--resolve-image <mode>', 'Query the registry to resolve image digest and supported platforms ("always", "changed", "never")', 'always')
    .option('--with-registry-auth', 'Send registry authentication details to Swarm agents')
    .option('-d, --detach', 'Exit immediately instead of waiting for the stack services to converge (default true)')
    .addOption(new Option('--no-detach').hideHelp())
    .option('-q, --quiet', 'Suppress progress output')
    .option('--dry-run', 'Print what would be created, updated and removed, and change nothing')
    .option('--dependency-timeout <duration>', 'How long to wait for a depends_on condition before creating a service (default 2m0s)', durationOption)
    .action(async (stack: string, f: DeployOptions, cmd: Command) => {
      const detachGiven = cmd.getOptionValueSource('detach') === 'cli';
      await run(ctx, await ctx.client(), stack, { ...f, detachGiven });
    });
}
