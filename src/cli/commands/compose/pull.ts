/**
 * `compose pull [--ignore-pull-failures] [SERVICE...]`: pulls every service's image from its registry (services
 * without an image are skipped), printing ` ✔ <service> Pulled` per service.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { checkServices, pull } from './engine.js';
import { loadComposeProject, type ComposeGlobalOptions, type LoadedProject } from './project.js';

export interface PullOptions {
  ignorePullFailures?: boolean;
}

export async function run(ctx: CliContext, client: EngineClient, loaded: LoadedProject, services: readonly string[], o: PullOptions): Promise<void> {
  const { project } = loaded;
  checkServices(project, services);
  let failed: Error | undefined;
  for (const name of Object.keys(project.services)) {
    if (services.length > 0 && !services.includes(name)) continue;
    const image = project.services[name]?.image;
    if (image === undefined) continue;
    try {
      await pull(ctx, client, name, image);
      ctx.err.write(` ✔ ${name} Pulled\n`);
    } catch (e) {
      ctx.err.write(` ✘ ${name} Error ${e instanceof Error ? e.message : String(e)}\n`);
      failed ??= e instanceof Error ? e : new Error(String(e));
    }
  }
  if (failed !== undefined && o.ignorePullFailures !== true) throw failed;
}

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  parent
    .command('pull')
    .description('Pull service images')
    .argument('[service...]')
    .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures')
    .action(async (services: string[], o: PullOptions) => {
      await run(ctx, await ctx.client(), loadComposeProject(ctx, globals()), services, o);
    });
}
