/**
 * `compose down [-v] [--remove-orphans] [-t N]`: stops and removes the project's containers (dependents first), then
 * its networks (not external ones), and with -v its named volumes (not external ones). Without a compose file,
 * `-p NAME` works from the labels: every container, network and (with -v) volume of that project.
 */
import type { Command } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import { containerRemove, containerStop } from '../../../client/containers.js';
import { networkList, networkRemove, type EngineClient } from '../../../client/index.js';
import { volumeList, volumeRemove } from '../../../client/volumes.js';
import { dependencyOrder, LABEL_PROJECT } from '../../../compose/model/compose-plan.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { nameOf, projectContainers, serviceOf } from './engine.js';
import { Progress } from './progress.js';
import { tryLoadProject, type ComposeGlobalOptions, type LoadedProject } from './project.js';
import { stopTimeoutOf } from './up.js';

export interface DownOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  timeout?: number;
}

const ignoreNotFound = (e: unknown): void => {
  if (!isShoalError(e, 'NotFound')) throw e;
};

export async function run(ctx: CliContext, client: EngineClient, name: string, loaded: LoadedProject | undefined, o: DownOptions): Promise<void> {
  const progress = new Progress(ctx.err);
  const project = loaded?.project;
  const all = await projectContainers(client, name);
  const known = (c: (typeof all)[number]): boolean => project === undefined || project.services[serviceOf(c)] !== undefined;
  const orphans = all.filter((c) => !known(c));
  if (orphans.length > 0 && o.removeOrphans !== true) {
    progress.warn(
      `Found orphan containers ([${orphans.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
    );
  }
  const doomed = o.removeOrphans === true ? all : all.filter(known);
  // Dependents first: the reverse of the start order; orphans (unknown services) go first of all.
  const rank = new Map<string, number>();
  if (project !== undefined) dependencyOrder(project).reverse().forEach((s, i) => rank.set(s, i + 1));
  const byRank = [...doomed].sort((a, b) => (rank.get(serviceOf(a)) ?? 0) - (rank.get(serviceOf(b)) ?? 0));
  for (const c of byRank) {
    const t = o.timeout ?? stopTimeoutOf(project?.services[serviceOf(c)]);
    if (c.State === 'running' || c.State === 'restarting' || c.State === 'paused') {
      await containerStop(client, c.Id, t !== undefined ? { timeout: t } : {}).catch(ignoreNotFound);
      progress.done('Container', nameOf(c), 'Stopped');
    }
    await containerRemove(client, c.Id, { force: true, volumes: o.volumes === true }).catch(ignoreNotFound);
    progress.done('Container', nameOf(c), 'Removed');
  }

  const networks =
    project !== undefined
      ? Object.values(project.networks)
          .filter((n) => !n.external)
          .map((n) => n.name)
      : (await networkList(client, { label: { [`${LABEL_PROJECT}=${name}`]: true } })).map((n) => n.Name);
  for (const n of [...new Set(networks)].sort()) {
    try {
      await networkRemove(client, n);
      progress.done('Network', n, 'Removed');
    } catch (e) {
      if (isShoalError(e, 'NotFound')) continue;
      progress.failed('Network', n, 'Error');
      throw new CliError(`removing network ${n}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  if (o.volumes !== true) return;
  const volumes =
    project !== undefined
      ? Object.values(project.volumes)
          .filter((v) => !v.external)
          .map((v) => v.name)
      : (await volumeList(client, { label: { [`${LABEL_PROJECT}=${name}`]: true } })).Volumes.map((v) => v.Name);
  for (const v of [...new Set(volumes)].sort()) {
    try {
      await volumeRemove(client, v);
      progress.done('Volume', v, 'Removed');
    } catch (e) {
      if (isShoalError(e, 'NotFound')) continue;
      progress.failed('Volume', v, 'Error');
      throw new CliError(`removing volume ${v}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  parent
    .command('down')
    .description('Stop and remove containers, networks')
    .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds', (v) => {
      if (!/^\d+$/.test(v)) throw new CliError(`invalid --timeout "${v}": want whole seconds`);
      return Number(v);
    })
    .action(async (o: DownOptions) => {
      const p = tryLoadProject(ctx, globals());
      await run(ctx, await ctx.client(), p.name, p.loaded, o);
    });
}
