import type { Command } from 'commander';
import { execInNode, findNode, pickLab } from '../../../lab/index.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';

export interface ExecOptions {
  name?: string;
}

export async function run(ctx: CliContext, ref: string, command: string[], o: ExecOptions): Promise<void> {
  const node = findNode(pickLab(o.name, ref), ref);
  // Options pass through after NODE, so the `--` that ends shoal's own options arrives as the first word.
  const argv = command[0] === '--' ? command.slice(1) : command;
  if (argv.length === 0) throw new CliError(`"${ctx.binName} lab exec" requires a command to run after the node, e.g. ${ctx.binName} lab exec ${ref} -- ip -br addr`, 125);
  const status = await execInNode(node, argv, {
    stdout: (b) => ctx.out.write(b),
    stderr: (b) => ctx.err.write(b),
    stdin: true,
    env: { ...ctx.env },
  });
  if (status !== 0) throw new CliError('', status);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('exec')
    .description("Run a command in a node's network namespace, with DOCKER_HOST and SHOAL_HOST set to its socket")
    .usage('[OPTIONS] NODE -- COMMAND [ARG...]')
    .argument('<node>', 'node1, 2 or <lab>-node3')
    .argument('<command...>')
    .passThroughOptions()
    .option('--name <name>', 'The lab (default: "lab", or the only lab)')
    .action(async (ref: string, command: string[], o: ExecOptions) => run(ctx, ref, command, o));
}
