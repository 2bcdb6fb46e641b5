/**
 * The shoal CLI: docker's grammar (`shoal <noun> <verb>`), one file per verb under commands/. Parsing is
 * commander's; every verb's `run(ctx, client, options)` is separate from its parsing so tests can call it.
 */
import { Command, CommanderError } from 'commander';
import { isShoalError } from '../api/errors.js';
import { createClient, type EngineClient } from '../client/index.js';
import * as compose from './commands/compose/index.js';
import * as container from './commands/container/index.js';
import * as image from './commands/image/index.js';
import * as lab from './commands/lab/index.js';
import * as network from './commands/network/index.js';
import * as node from './commands/node/index.js';
import * as service from './commands/service/index.js';
import * as secret from './commands/secret/index.js';
import * as stack from './commands/stack/index.js';
import * as config from './commands/config/index.js';
import * as swarm from './commands/swarm/index.js';
import * as info from './commands/system/info.js';
import * as version from './commands/system/version.js';
import * as volume from './commands/volume/index.js';
import { DEFAULT_HOST, type CliContext, type Output } from './context.js';
import { CliError, errorText } from './errors.js';

export interface RunCliOptions {
  argv: string[];
  out: Output;
  err: Output;
  env: Readonly<Record<string, string | undefined>>;
  binName?: string;
  version: string;
}

/** Runs the CLI and resolves to the exit status; never throws for user errors. */
export async function runCli(o: RunCliOptions): Promise<number> {
  let host: string | undefined;
  let client: EngineClient | undefined;
  const ctx: CliContext = {
    out: o.out,
    err: o.err,
    env: o.env,
    binName: o.binName ?? 'shoal',
    host: () => host ?? o.env.SHOAL_HOST ?? DEFAULT_HOST,
    client: async () => (client ??= createClient({ host: ctx.host() })),
  };
  const program = new Command('shoal')
    .description('A container orchestrator compatible with Docker swarm mode')
    .option('-H, --host <address>', 'Daemon socket to connect to (also $SHOAL_HOST)')
    .version(o.version, '-v, --version', 'Print version information and quit')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => o.out.write(s), writeErr: (s) => o.err.write(s) });
  program.hook('preAction', (cmd) => {
    const opts = cmd.optsWithGlobals<{ host?: string }>();
    if (opts.host) host = opts.host;
  });
  swarm.register(program, ctx);
  node.register(program, ctx);
  service.register(program, ctx);
  stack.register(program, ctx);
  secret.register(program, ctx);
  config.register(program, ctx);
  info.register(program, ctx);
  version.register(program, ctx);
  container.register(program, ctx);
  image.register(program, ctx);
  volume.register(program, ctx);
  network.register(program, ctx);
  compose.register(program, ctx);
  lab.register(program, ctx);

  try {
    await program.parseAsync(o.argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : e.code === 'commander.help' || e.code === 'commander.helpDisplayed' ? 0 : 125;
    }
    if (e instanceof CliError) {
      if (e.message !== '') o.err.write(e.message + '\n');
      return e.exitCode;
    }
    if (isShoalError(e)) {
      o.err.write(errorText(e) + '\n');
      return 1;
    }
    o.err.write(`shoal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  } finally {
    await client?.close?.();
  }
}
