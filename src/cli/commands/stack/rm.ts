/**
 * `stack rm [--detach=false] STACK [STACK...]` (aliases `remove`, `down`), as docker does it
 * (cli/command/stack/swarm/remove.go): per stack, the services, networks, secrets and configs carrying the
 * namespace label; none at all → `Nothing found in stack: X` on stderr; else services (sorted by name), secrets,
 * configs, then (once the stack's tasks stopped) networks are removed by ID (`Removing service x` ...). A failure is reported and the rest still
 * removed; the stack then ends in `failed to remove some resources from stack: X`. `--detach=false` waits until
 * every task of the stack reached a terminal state.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { networkRemove } from '../../../client/networks.js';
import { configRemove, secretRemove } from '../../../client/secrets.js';
import { serviceRemove } from '../../../client/services.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { processServiceHost } from '../service/host.js';
import type { ServiceHost } from '../service/host.js';
import { checkStackName, stackConfigs, stackNetworks, stackSecrets, stackServices, stackTasks } from './common.js';

export interface RmOptions {
  detach?: boolean;
}

const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);

async function removeAll<T>(ctx: CliContext, kind: string, items: readonly T[], name: (x: T) => string, id: (x: T) => string, remove: (id: string) => Promise<void>): Promise<boolean> {
  let failed = false;
  for (const x of items) {
    ctx.out.write(`Removing ${kind} ${name(x)}\n`);
    try {
      await remove(id(x));
    } catch (e) {
      failed = true;
      ctx.err.write(`Failed to remove ${kind} ${id(x)}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return failed;
}

/** Polls until every task of the stack reached a terminal state; false when interrupted or past `deadlineMs`. */
async function waitOnTasks(client: EngineClient, stack: string, host: ServiceHost, deadlineMs = Infinity): Promise<boolean> {
  const env = host.waitEnvironment();
  const end = env.now() + deadlineMs;
  try {
    for (;;) {
      const tasks = await stackTasks(client, stack);
      if (tasks.every((t) => TERMINAL.has(t.Status?.State ?? ''))) return true;
      if (env.now() > end || (await env.pause(100))) return false;
    }
  } finally {
    env.dispose();
  }
}

/**
 * A network stays in use until the tasks of the removed services have stopped (swarmkit refuses it with "network x
 * is in use by task y", and `docker stack rm` then fails); so the networks go once the stack's tasks are down
 * (at most NETWORK_WAIT_MS), as a stack rm that leaves nothing behind needs.
 */
const NETWORK_WAIT_MS = 60_000;

export async function run(ctx: CliContext, client: EngineClient, names: string[], o: RmOptions, host: ServiceHost = processServiceHost()): Promise<void> {
  for (const n of names) checkStackName(n);
  const errors: string[] = [];
  for (const stack of names) {
    const services = await stackServices(client, stack);
    const networks = await stackNetworks(client, stack);
    const secrets = await stackSecrets(client, stack);
    const configs = await stackConfigs(client, stack);
    if (services.length + networks.length + secrets.length + configs.length === 0) {
      ctx.err.write(`Nothing found in stack: ${stack}\n`);
      continue;
    }
    services.sort((a, b) => ((a.Spec.Name ?? '') < (b.Spec.Name ?? '') ? -1 : (a.Spec.Name ?? '') > (b.Spec.Name ?? '') ? 1 : 0));
    let failed = await removeAll(ctx, 'service', services, (s) => s.Spec.Name ?? '', (s) => s.ID, (id) => serviceRemove(client, id));
    failed = (await removeAll(ctx, 'secret', secrets, (s) => s.Spec.Name, (s) => s.ID, (id) => secretRemove(client, id))) || failed;
    failed = (await removeAll(ctx, 'config', configs, (c) => c.Spec.Name, (c) => c.ID, (id) => configRemove(client, id))) || failed;
    if (services.length > 0 && networks.length > 0) await waitOnTasks(client, stack, host, NETWORK_WAIT_MS);
    failed = (await removeAll(ctx, 'network', networks, (n) => n.Name, (n) => n.Id, (id) => networkRemove(client, id))) || failed;
    if (failed) {
      errors.push(`failed to remove some resources from stack: ${stack}`);
      continue;
    }
    if (o.detach === false) await waitOnTasks(client, stack, host);
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('rm')
    .aliases(['remove', 'down'])
    .description('Remove one or more stacks')
    .usage('[OPTIONS] STACK [STACK...]')
    .argument('<stack...>')
    .option('-d, --detach', 'Do not wait for stack removal (default true)')
    .addOption(new Option('--no-detach').hideHelp())
    .action(async (stacks: string[], o: RmOptions) => run(ctx, await ctx.client(), stacks, o));
}
