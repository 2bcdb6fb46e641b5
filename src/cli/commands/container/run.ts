/**
 * `run [OPTIONS] IMAGE [COMMAND] [ARG...]`: create (pulling a missing image), then start, attached unless -d.
 * Exit status as docker's: 125 when run itself fails (bad flags, create or start refused), 126/127 when the command
 * cannot be executed, the container's exit code otherwise. -d prints the container ID; -it uses the local terminal
 * raw, forwards stdin and follows resizes; --rm has the daemon remove the container when it exits.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { containerStart } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';
import { buildCreateBody, CreateOptionsError, detachBody } from './create-body.js';
import type { BuildEnvironment } from './create-body.js';
import { checkPullPolicy, createContainer } from './create-container.js';
import type { CreateFlags } from './create-flags.js';
import { addCreateFlags } from './create-flags.js';
import { exitStatus, reportError, startErrorStatus } from './exit-status.js';
import { detachKeysOrDefault } from './attach-session.js';
import { runForeground, StartFailed } from './foreground.js';
import { processTerminal } from './terminal.js';
import type { Terminal } from './terminal.js';

export interface RunOptions extends CreateFlags {
  detach?: boolean;
  /** false with --sig-proxy=false (here: --no-sig-proxy). */
  sigProxy?: boolean;
  detachKeys?: string;
}

/** What run and create need from the machine they run on; tests pass their own. */
export interface HostEnvironment {
  terminal: Terminal;
  cwd: string;
  readFile: (path: string) => string;
}

export function processHost(): HostEnvironment {
  return { terminal: processTerminal(), cwd: process.cwd(), readFile: (p) => readFileSync(p, 'utf8') };
}

export function buildEnvironment(ctx: CliContext, host: HostEnvironment): BuildEnvironment {
  const size = host.terminal.size();
  return {
    env: ctx.env,
    readFile: host.readFile,
    cwd: host.cwd,
    consoleSize: size === undefined ? [0, 0] : [size.rows, size.columns],
  };
}

export async function run(ctx: CliContext, client: EngineClient, image: string, args: string[], o: RunOptions, host: HostEnvironment = processHost()): Promise<void> {
  const fail = (message: string, withHelp: boolean, status: number): CliError => {
    reportError(ctx, 'run', message, withHelp);
    return exitStatus(status);
  };
  try {
    checkPullPolicy(o.pull ?? 'missing');
  } catch (e) {
    throw fail((e as Error).message, true, 125);
  }
  let body;
  try {
    body = buildCreateBody(o, image, args, buildEnvironment(ctx, host));
  } catch (e) {
    if (e instanceof CreateOptionsError) throw fail(e.message, true, 125);
    throw e;
  }
  const detach = o.detach === true;
  if (!detach) {
    if (body.AttachStdin && body.Tty && !host.terminal.stdinIsTTY) throw new CliError('the input device is not a TTY');
  } else {
    if ((o.attach ?? []).length > 0) throw new CliError('Conflicting options: -a and -d');
    body = detachBody(body);
  }

  let id: string;
  try {
    id = await createContainer(ctx, client, body, {
      name: o.name,
      platform: o.platform,
      pull: o.pull ?? 'missing',
      quiet: o.quiet === true,
      terminal: host.terminal,
    });
  } catch (e) {
    const text = errorText(e);
    throw fail(text, true, startErrorStatus(text));
  }

  const attachOut = body.AttachStdout || body.AttachStderr;
  if (!attachOut) ctx.out.write(id + '\n');

  if (detach) {
    try {
      await containerStart(client, id);
    } catch (e) {
      const text = errorText(e);
      throw fail(text, false, startErrorStatus(text));
    }
    return;
  }

  let result;
  try {
    result = await runForeground(
      ctx,
      client,
      {
        id,
        tty: body.Tty,
        stdin: body.AttachStdin,
        stdout: body.AttachStdout,
        stderr: body.AttachStderr,
        autoRemove: body.HostConfig.AutoRemove,
        sigProxy: o.sigProxy !== false,
        terminal: host.terminal,
        detachKeys: detachKeysOrDefault(o.detachKeys, (m) => ctx.err.write(`WARNING: ${m}\n`)),
        ...(o.detachKeys !== undefined && o.detachKeys !== '' ? { detachKeysText: o.detachKeys } : {}),
      },
      () => containerStart(client, id),
    );
  } catch (e) {
    if (e instanceof StartFailed) throw fail(e.message, false, startErrorStatus(e.message));
    throw e;
  }
  if (result.kind === 'exited' && result.status !== 0) throw exitStatus(result.status);
}

export function register(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('run')
    .description('Create and run a new container from an image')
    .usage('[OPTIONS] IMAGE [COMMAND] [ARG...]')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions()
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--no-sig-proxy', 'Do not proxy received signals to the process')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container');
  addCreateFlags(cmd, ctx, () => process.cwd());
  cmd.action(async (image: string, command: string[], o: RunOptions) => run(ctx, await ctx.client(), image, command, o));
}
