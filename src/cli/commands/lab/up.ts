import type { Command } from 'commander';
import { DEFAULT_LAB_NAME, labUp, type LabState, type ShoalCommand } from '../../../lab/index.js';
import type { CliContext } from '../../context.js';
import { collect, durationOption } from '../../options.js';
import { tabulate } from '../../format/table.js';

export interface UpOptions {
  nodes: string;
  name: string;
  daemonArg?: string[];
  dispatcherHeartbeat?: number;
}

/** This very executable (node + the bundle, or node + tsx + the entry in development) runs the nodes' daemons. */
export function selfCommand(): ShoalCommand {
  return { file: process.execPath, args: [...process.execArgv, process.argv[1] ?? ''] };
}

export function labHint(name: string): string {
  return name === DEFAULT_LAB_NAME ? '' : ` --name ${name}`;
}

export function printLab(ctx: CliContext, s: LabState): void {
  const rows = s.nodes.map((n) => `${n.name}\t${n.addr}\t${n.index === 1 ? 'manager' : 'worker'}\tunix://${n.socket}`);
  ctx.out.write(tabulate(['NODE\tADDRESS\tROLE\tSOCKET', ...rows].join('\n') + '\n'));
}

export async function run(ctx: CliContext, o: UpOptions, shoal: ShoalCommand = selfCommand()): Promise<void> {
  // Ctrl-C stops at the next step and takes down what was made, instead of leaving half a lab.
  const interrupt = new AbortController();
  const onSigint = (): void => {
    ctx.err.write('interrupted: removing what was made\n');
    interrupt.abort();
  };
  process.once('SIGINT', onSigint);
  const s = await labUp({
    signal: interrupt.signal,
    name: o.name,
    nodes: o.nodes,
    shoal,
    daemonArgs: o.daemonArg ?? [],
    ...(o.dispatcherHeartbeat !== undefined ? { dispatcherHeartbeatNs: o.dispatcherHeartbeat } : {}),
    progress: (line) => ctx.err.write(`${line}\n`),
  }).finally(() => process.removeListener('SIGINT', onSigint));
  ctx.out.write(`Lab "${s.name}" is up: ${s.nodes.length} node${s.nodes.length === 1 ? '' : 's'} on bridge ${s.bridge} (${s.subnet}).\n`);
  printLab(ctx, s);
  const first = s.nodes[0];
  ctx.out.write(
    `\nRun a command on a node:  ${ctx.binName} lab exec${labHint(s.name)} node1 -- docker node ls\n` +
      (first !== undefined ? `Or point a client at it:  DOCKER_HOST=unix://${first.socket} docker node ls\n` : '') +
      `Remove the lab:           ${ctx.binName} lab down${s.name === DEFAULT_LAB_NAME ? '' : ` ${s.name}`}\n`,
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('up')
    .description('Make a lab: N nodes, each a network namespace with its own daemon; node 1 inits a swarm, the others join')
    .requiredOption('--nodes <n>', 'Number of nodes (1 to 9, and what free memory allows at ~200 MiB a node)')
    .option('--name <name>', 'Name of the lab (a lowercase letter, then lowercase letters and digits; at most 9)', DEFAULT_LAB_NAME)
    .option('--dispatcher-heartbeat <duration>', 'The swarm\'s heartbeat period, as "swarm init --dispatcher-heartbeat" (default 5s)', durationOption)
    .option('--daemon-arg <flag>', 'An extra flag for every node\'s daemon (repeatable, e.g. --daemon-arg=--log-level=debug)', collect)
    .action(async (o: UpOptions) => run(ctx, o));
}
