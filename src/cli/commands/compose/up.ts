/**
 * `compose up [-d] [--wait] [--force-recreate] [--remove-orphans] [SERVICE...]`, as docker compose does it on one
 * host: networks and volumes, missing images pulled, then containers created (kept when their config hash still
 * matches, recreated when it changed) in `depends_on` order and started, each service only once its dependencies
 * meet their condition (started, healthy, completed successfully). With -d it returns once started (with --wait:
 * once every container is running, or healthy when it has a healthcheck); without -d it follows every container's
 * logs, prefixed, until they all stop or Ctrl-C (which stops them). A service on several networks is created on
 * the first and connected to the others before it starts (`POST /networks/{id}/connect`).
 */
import type { Command } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import type { ContainerSummary } from '../../../client/container-types.js';
import { containerRemove, containerStart, containerStop } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import { networkConnect } from '../../../client/networks.js';
import {
  containerBody,
  containerName,
  dependencyOrder,
  extraNetworks,
  LABEL_CONFIG_HASH,
  replicasOf,
} from '../../../compose/model/compose-plan.js';
import { configHash } from '../../../compose/model/compose-hash.js';
import type { ComposeProject, ComposeService } from '../../../compose/model/types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { checkServices, ensureImages, ensureNetworks, ensureVolumes, nameOf, numberOf, projectContainers, serviceOf, stateOf, waitCompleted, waitFor, waitHealthy } from './engine.js';
import { prefixedLogs, prefixFor } from './log-lines.js';
import { Progress } from './progress.js';
import { loadComposeProject, type ComposeGlobalOptions, type LoadedProject } from './project.js';

export interface UpOptions {
  detach?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  removeOrphans?: boolean;
  /** For tests: stands in for Ctrl-C. */
  signal?: AbortSignal;
}

interface Placed {
  id: string;
  name: string;
  service: string;
  /** Already running and unchanged. */
  running: boolean;
}

export function stopTimeoutOf(service: ComposeService | undefined): number | undefined {
  return service?.stop_grace_period !== undefined ? Math.ceil(service.stop_grace_period / 1e9) : undefined;
}

async function removeContainer(client: EngineClient, c: { Id: string }, timeout: number | undefined): Promise<void> {
  await containerStop(client, c.Id, timeout !== undefined ? { timeout } : {}).catch((e: unknown) => {
    if (!isShoalError(e, 'NotFound')) throw e;
  });
  await containerRemove(client, c.Id, { force: true });
}

/** The services `up SERVICE...` brings up: those named and everything they depend on. */
function withDependencies(project: ComposeProject, names: readonly string[]): Set<string> {
  const out = new Set<string>();
  const add = (n: string): void => {
    if (out.has(n) || project.services[n] === undefined) return;
    out.add(n);
    for (const d of Object.keys(project.services[n]?.depends_on ?? {})) add(d);
  };
  for (const n of names.length > 0 ? names : Object.keys(project.services)) add(n);
  return out;
}

/**
 * Whether the daemon has `POST /networks/{id}/connect` (an unknown route answers 404 "page not found"; Shoal's
 * answers an empty body with 400). Asked once, before anything is made, only when a service is on several
 * networks: a daemon from before the route refuses the project up front instead of leaving half of it.
 */
async function supportsConnect(client: EngineClient): Promise<boolean> {
  try {
    await client.request('POST', '/networks/shoal-compose-probe/connect', { body: {} });
    return true;
  } catch (e) {
    return !(isShoalError(e, 'NotFound') && /page not found/i.test(e.message));
  }
}

/**
 * Creates one container: on the service's first network through the create body, then connected to the others
 * before it starts (as docker compose does), each with the service name and its aliases on that network. A failed
 * connect removes the container again.
 */
async function createOne(client: EngineClient, loaded: LoadedProject, service: ComposeService, n: number): Promise<string> {
  const { project } = loaded;
  const name = containerName(project.name, service.name, n);
  const body = containerBody(project, service, n, { workingDir: loaded.workingDir, configFiles: loaded.configFiles });
  const created = await client.request<{ Id: string }>('POST', '/containers/create', { query: { name }, body });
  for (const net of extraNetworks(project, service)) {
    try {
      await networkConnect(client, net.name, created.Id, { aliases: net.aliases });
    } catch (e) {
      await containerRemove(client, created.Id, { force: true }).catch(() => undefined);
      throw e;
    }
  }
  return created.Id;
}

/** Creates, keeps or recreates the containers of one service; removes the ones beyond its replica count. */
async function converge(client: EngineClient, loaded: LoadedProject, service: ComposeService, existing: ContainerSummary[], o: UpOptions, progress: Progress): Promise<Placed[]> {
  const hash = configHash(service);
  const want = replicasOf(service);
  const timeout = stopTimeoutOf(service);
  const placed: Placed[] = [];
  const byNumber = new Map<number, ContainerSummary>();
  for (const c of existing) {
    const n = numberOf(c);
    if (n >= 1 && n <= want && !byNumber.has(n)) byNumber.set(n, c);
    else {
      await removeContainer(client, c, timeout);
      progress.done('Container', nameOf(c), 'Removed');
    }
  }
  for (let n = 1; n <= want; n++) {
    const cur = byNumber.get(n);
    const name = containerName(loaded.project.name, service.name, n);
    if (cur !== undefined) {
      const same = cur.Labels?.[LABEL_CONFIG_HASH] === hash;
      if (o.noRecreate === true || (same && o.forceRecreate !== true)) {
        placed.push({ id: cur.Id, name: nameOf(cur), service: service.name, running: cur.State === 'running' });
        continue;
      }
      await removeContainer(client, cur, timeout);
      placed.push({ id: await createOne(client, loaded, service, n), name, service: service.name, running: false });
      progress.done('Container', name, 'Recreated');
      continue;
    }
    placed.push({ id: await createOne(client, loaded, service, n), name, service: service.name, running: false });
    progress.done('Container', name, 'Created');
  }
  return placed;
}

export async function run(ctx: CliContext, client: EngineClient, loaded: LoadedProject, services: readonly string[], o: UpOptions): Promise<void> {
  const { project } = loaded;
  checkServices(project, services);
  const progress = new Progress(ctx.err);
  for (const w of project.warnings) progress.warn(w);
  const order = dependencyOrder(project);
  const selected = withDependencies(project, services);
  const targets = order.filter((s) => selected.has(s));
  // Refuse what cannot be planned before anything is made.
  for (const s of targets) {
    const svc = project.services[s] as ComposeService;
    containerBody(project, svc, 1);
  }

  const multi = targets.filter((s) => Object.keys(project.services[s]?.networks ?? {}).length > 1);
  if (multi.length > 0 && !(await supportsConnect(client))) {
    throw new CliError(
      `service "${multi[0] ?? ''}" is on ${Object.keys(project.services[multi[0] ?? '']?.networks ?? {}).length} networks, but this daemon cannot connect a container to a second network (POST /networks/{id}/connect): give each service one network`,
    );
  }

  const all = await projectContainers(client, project.name);
  const orphans = all.filter((c) => project.services[serviceOf(c)] === undefined);
  if (orphans.length > 0) {
    if (o.removeOrphans === true) {
      for (const c of orphans) {
        await removeContainer(client, c, undefined);
        progress.done('Container', nameOf(c), 'Removed');
      }
    } else {
      progress.warn(
        `Found orphan containers ([${orphans.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
      );
    }
  }

  // Images first, as docker compose does: an image that cannot be pulled leaves no network or volume behind.
  await ensureImages(ctx, client, project, targets, progress);
  await ensureNetworks(client, project, progress);
  await ensureVolumes(client, project, progress);

  const placed = new Map<string, Placed[]>();
  for (const s of targets) {
    const svc = project.services[s] as ComposeService;
    placed.set(s, await converge(client, loaded, svc, all.filter((c) => serviceOf(c) === s), o, progress));
  }

  const waitOpts = { ...(o.signal !== undefined ? { signal: o.signal } : {}) };
  for (const s of targets) {
    const svc = project.services[s] as ComposeService;
    for (const [dep, d] of Object.entries(svc.depends_on).sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const c of placed.get(dep) ?? []) {
        if (d.condition === 'service_healthy') {
          await waitHealthy(client, c.id, c.name, waitOpts);
          progress.done('Container', c.name, 'Healthy');
        } else if (d.condition === 'service_completed_successfully') {
          await waitCompleted(client, c.id, c.name, dep, waitOpts);
          progress.done('Container', c.name, 'Exited');
        }
      }
    }
    for (const c of placed.get(s) ?? []) {
      if (c.running) {
        progress.done('Container', c.name, 'Running');
        continue;
      }
      try {
        await containerStart(client, c.id);
      } catch (e) {
        progress.failed('Container', c.name, 'Error');
        throw e;
      }
      progress.done('Container', c.name, 'Started');
    }
  }

  const started = targets.flatMap((s) => placed.get(s) ?? []);
  if (o.detach === true) {
    if (o.wait === true) await waitAll(client, project, started, o, progress);
    return;
  }
  await attach(ctx, client, project, started, o);
}

/** `--wait`: every container running, and healthy when it has a healthcheck (a job that exited 0 counts as done). */
async function waitAll(client: EngineClient, project: ComposeProject, started: Placed[], o: UpOptions, progress: Progress): Promise<void> {
  const jobs = new Set<string>();
  for (const svc of Object.values(project.services)) {
    for (const [dep, d] of Object.entries(svc.depends_on)) if (d.condition === 'service_completed_successfully') jobs.add(dep);
  }
  const deadline = o.waitTimeout !== undefined ? Date.now() + o.waitTimeout * 1000 : undefined;
  for (const c of started) {
    const timeoutMs = deadline !== undefined ? Math.max(0, deadline - Date.now()) : undefined;
    const s = await waitFor(
      client,
      c.id,
      c.name,
      'running or healthy',
      (st) => {
        if (!st.running) {
          if (jobs.has(c.service) && st.exitCode === 0 && st.status === 'exited') return true;
          if (st.status === 'created' || st.status === 'restarting') return false;
          return `container ${c.name} exited (${st.exitCode})`;
        }
        if (st.health === 'unhealthy') return `container ${c.name} is unhealthy`;
        return st.health === undefined || st.health === 'none' || st.health === 'healthy';
      },
      { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(o.signal !== undefined ? { signal: o.signal } : {}) },
    );
    progress.done('Container', c.name, s.health === 'healthy' ? 'Healthy' : s.running ? 'Running' : 'Exited');
  }
}

/** Follows every container's output until all have stopped, or until Ctrl-C (then stops them). */
async function attach(ctx: CliContext, client: EngineClient, project: ComposeProject, started: Placed[], o: UpOptions): Promise<void> {
  const ac = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    ctx.err.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  o.signal?.addEventListener('abort', onSigint, { once: true });
  const width = Math.max(0, ...started.map((c) => c.name.length));
  try {
    ctx.out.write(`Attaching to ${started.map((c) => c.name).join(', ')}\n`);
    await Promise.all(
      started.map(async (c) => {
        await prefixedLogs(client, c, prefixFor(c.name, width), ctx.out, ctx.err, { follow: true, tail: 'all' }, ac.signal);
        if (ac.signal.aborted) return;
        const s = await stateOf(client, c.id).catch(() => undefined);
        ctx.out.write(`${c.name} exited with code ${s?.exitCode ?? 0}\n`);
      }),
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (!interrupted) return;
  const progress = new Progress(ctx.err);
  for (const s of dependencyOrder(project).reverse()) {
    for (const c of started.filter((x) => x.service === s)) {
      const t = stopTimeoutOf(project.services[s]);
      await containerStop(client, c.id, t !== undefined ? { timeout: t } : {}).catch(() => undefined);
      progress.done('Container', c.name, 'Stopped');
    }
  }
  throw new CliError('', 130);
}

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  parent
    .command('up')
    .description('Create and start containers')
    .argument('[service...]')
    .option('-d, --detach', 'Detached mode: Run containers in the background')
    .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
    .option('--wait-timeout <seconds>', 'Maximum duration in seconds to wait for the project to be running|healthy', (v) => {
      if (!/^\d+$/.test(v)) throw new CliError(`invalid --wait-timeout "${v}": want whole seconds`);
      return Number(v);
    })
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .action(async (services: string[], o: UpOptions & { recreate?: boolean }) => {
      const loaded = loadComposeProject(ctx, globals());
      await run(ctx, await ctx.client(), loaded, services, {
        ...o,
        detach: o.detach === true || o.wait === true,
        noRecreate: o.recreate === false,
      });
    });
}
