/**
 * `compose stop [-t N] [SERVICE...]`, `compose start [SERVICE...]`, `compose restart [-t N] [SERVICE...]` on the
 * project's existing containers: stop in reverse `depends_on` order, start in `depends_on` order.
 */
import type { Command } from 'commander';
import { isShoalError } from '../../../api/errors.js';
import type { ContainerSummary } from '../../../client/container-types.js';
import { containerStart, containerStop } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import { dependencyOrder } from '../../../compose/model/compose-plan.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { checkServices, nameOf, projectContainers, serviceOf } from './engine.js';
import { Progress } from './progress.js';
import { tryLoadProject, type ComposeGlobalOptions, type LoadedProject } from './project.js';
import { stopTimeoutOf } from './up.js';

export type Verb = 'stop' | 'start' | 'restart';

function ordered(list: ContainerSummary[], loaded: LoadedProject | undefined, reverse: boolean): ContainerSummary[] {
  if (loaded === undefined) return list;
  const order = dependencyOrder(loaded.project);
  if (reverse) order.reverse();
  const rank = new Map(order.map((s, i) => [s, i]));
  return [...list].sort((a, b) => (rank.get(serviceOf(a)) ?? -1) - (rank.get(serviceOf(b)) ?? -1));
}

export async function run(ctx: CliContext, client: EngineClient, verb: Verb, name: string, loaded: LoadedProject | undefined, services: readonly string[], o: { timeout?: number }): Promise<void> {
  checkServices(loaded?.project, services);
  const progress = new Progress(ctx.err);
  const list = await projectContainers(client, name, { all: true, services });
  if (list.length === 0 && verb !== 'stop') throw new CliError(`no container to ${verb} in project "${name}"`);
  const timeoutOf = (c: ContainerSummary): number | undefined => o.timeout ?? stopTimeoutOf(loaded?.project.services[serviceOf(c)]);
  if (verb === 'stop' || verb === 'restart') {
    for (const c of ordered(list, loaded, true)) {
      const t = timeoutOf(c);
      await containerStop(client, c.Id, t !== undefined ? { timeout: t } : {}).catch((e: unknown) => {
        if (!isShoalError(e, 'NotFound')) throw e;
      });
      progress.done('Container', nameOf(c), 'Stopped');
    }
  }
  if (verb === 'start' || verb === 'restart') {
    for (const c of ordered(list, loaded, false)) {
      await containerStart(client, c.Id);
      progress.done('Container', nameOf(c), 'Started');
    }
  }
}

const seconds = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new CliError(`invalid --timeout "${v}": want whole seconds`);
  return Number(v);
};

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  const descriptions: Record<Verb, string> = { stop: 'Stop services', start: 'Start services', restart: 'Restart service containers' };
  for (const verb of ['stop', 'start', 'restart'] as const) {
    const cmd = parent.command(verb).description(descriptions[verb]).argument('[service...]');
    if (verb !== 'start') cmd.option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds', seconds);
    cmd.action(async (services: string[], o: { timeout?: number }) => {
      const p = tryLoadProject(ctx, globals());
      await run(ctx, await ctx.client(), verb, p.name, p.loaded, services, o);
    });
  }
}
