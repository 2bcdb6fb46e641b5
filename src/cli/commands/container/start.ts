/**
 * `start [-a] [-i] CONTAINER...`: without -a/-i, starts each container and prints its name (failures on stderr,
 * then "Error: failed to start containers: …"); with them, one container in the foreground, exiting with its status.
 */
import type { Command } from 'commander';
import { containerInspect, containerStart } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { exitStatus } from './exit-status.js';
import { detachKeysOrDefault } from './attach-session.js';
import { runForeground, StartFailed } from './foreground.js';
import { processTerminal } from './terminal.js';
import type { Terminal } from './terminal.js';

export interface StartOptions {
  attach?: boolean;
  interactive?: boolean;
  detachKeys?: string;
}

export async function run(ctx: CliContext, client: EngineClient, refs: string[], o: StartOptions, terminal: Terminal = processTerminal()): Promise<void> {
  if (o.attach === true || o.interactive === true) {
    if (refs.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
    const c = await containerInspect(client, refs[0] as string);
    const stdin = o.interactive === true && c.Config.OpenStdin;
    if (stdin && c.Config.Tty && !terminal.stdinIsTTY) throw new CliError('the input device is not a TTY');
    let result;
    try {
      result = await runForeground(
        ctx,
        client,
        {
          id: c.Id,
          tty: c.Config.Tty,
          stdin,
          stdout: true,
          stderr: true,
          autoRemove: c.HostConfig.AutoRemove,
          sigProxy: !c.Config.Tty,
          terminal,
          detachKeys: detachKeysOrDefault(o.detachKeys, (m) => ctx.err.write(`WARNING: ${m}\n`)),
          ...(o.detachKeys !== undefined && o.detachKeys !== '' ? { detachKeysText: o.detachKeys } : {}),
        },
        () => containerStart(client, c.Id),
      );
    } catch (e) {
      if (e instanceof StartFailed) throw e.cause instanceof Error ? e.cause : e;
      throw e;
    }
    if (result.kind === 'exited' && result.status !== 0) throw exitStatus(result.status);
    return;
  }
  const failed: string[] = [];
  for (const ref of refs) {
    try {
      await containerStart(client, ref);
      ctx.out.write(ref + '\n');
    } catch (e) {
      ctx.err.write(errorText(e) + '\n');
      failed.push(ref);
    }
  }
  if (failed.length > 0) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('start')
    .description('Start one or more stopped containers')
    .argument('<container...>')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('-i, --interactive', "Attach container's STDIN")
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .action(async (refs: string[], o: StartOptions) => run(ctx, await ctx.client(), refs, o));
}
