/**
 * `exec [-d] [-i] [-t] [-e K=V] [--env-file F] [-w DIR] [-u USER] [--privileged] CONTAINER COMMAND [ARG...]`:
 * inspect (so an unknown container is reported first), create the exec, then either start it detached or start it
 * hijacked and stream it; the CLI exits with the process's exit code (`GET /exec/{id}/json`), which is 126/127
 * when the daemon could not execute the command.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ExecCreateBody } from '../../../client/container-types.js';
import { containerInspect, execCreate, execInspect, execResize, execStartAttached, execStartDetached } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { detachKeysOrDefault, runAttachSession } from './attach-session.js';
import { list } from './create-flags.js';
import { parseKeyValueFile, validateEnv } from './env-values.js';
import { exitStatus } from './exit-status.js';
import { processTerminal } from './terminal.js';
import type { Terminal } from './terminal.js';
import { monitorTtySize } from './tty-size.js';

export interface ExecOptions {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  privileged?: boolean;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  detachKeys?: string;
}

/** docker's parseExec: the exec create body for these flags (console size added when a TTY is asked for). */
export function buildExecBody(
  cmd: readonly string[],
  o: ExecOptions,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
  consoleSize: [number, number],
): ExecCreateBody {
  const vars: string[] = [];
  for (const f of o.envFile ?? []) vars.push(...parseKeyValueFile(readFile(f), (k) => env[k]));
  vars.push(...(o.env ?? []));
  const detach = o.detach === true;
  return {
    User: o.user ?? '',
    Privileged: o.privileged === true,
    Tty: o.tty === true,
    ...(o.tty === true ? { ConsoleSize: consoleSize } : {}),
    AttachStdin: !detach && o.interactive === true,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: false,
    DetachKeys: o.detachKeys ?? '',
    Env: vars.length > 0 ? vars : null,
    WorkingDir: o.workdir ?? '',
    Cmd: [...cmd],
  };
}

export async function run(
  ctx: CliContext,
  client: EngineClient,
  ref: string,
  cmd: string[],
  o: ExecOptions,
  terminal: Terminal = processTerminal(),
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Promise<void> {
  const size = terminal.size();
  let body: ExecCreateBody;
  try {
    body = buildExecBody(cmd, o, ctx.env, readFile, size === undefined ? [0, 0] : [size.rows, size.columns]);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  await containerInspect(client, ref);
  if (o.detach !== true && body.AttachStdin && body.Tty && !terminal.stdinIsTTY) throw new CliError('the input device is not a TTY');
  const { Id: execId } = await execCreate(client, ref, body);
  if (execId === '') throw new CliError('exec ID empty');
  const start = { Detach: o.detach === true, Tty: body.Tty, ...(body.ConsoleSize !== undefined ? { ConsoleSize: body.ConsoleSize } : {}) };
  if (o.detach === true) {
    await execStartDetached(client, execId, start);
    return;
  }
  const stream = await execStartAttached(client, execId, start);
  const session = runAttachSession({
    stream,
    tty: body.Tty,
    stdin: body.AttachStdin,
    stdout: true,
    stderr: true,
    out: ctx.out,
    err: ctx.err,
    terminal,
    detachKeys: detachKeysOrDefault(o.detachKeys, (m) => ctx.err.write(`WARNING: ${m}\n`)),
  });
  let stopResize: (() => void) | undefined;
  try {
    if (body.Tty && terminal.stdinIsTTY) {
      stopResize = await monitorTtySize(terminal, (h, w) => execResize(client, execId, h, w), { warn: (m) => ctx.err.write(`${m}\n`) });
    }
    if ((await session) === 'detached') return;
  } finally {
    stopResize?.();
  }
  const status = (await execInspect(client, execId)).ExitCode ?? 0;
  if (status !== 0) throw exitStatus(status);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('exec')
    .description('Execute a command in a running container')
    .usage('[OPTIONS] CONTAINER COMMAND [ARG...]')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('-e, --env <list>', 'Set environment variables', list((v) => validateEnv(v, ctx.env)))
    .option('--env-file <list>', 'Read in a file of environment variables', list((v) => v))
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--privileged', 'Give extended privileges to the command')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .action(async (ref: string, command: string[], o: ExecOptions) => run(ctx, await ctx.client(), ref, command, o));
}
