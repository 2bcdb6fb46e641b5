/**
 * `shoal lab`: a multi-node cluster on one machine from network namespaces (docs/design/cluster.md "The lab").
 * The verbs are thin: parse, call src/lab, print.
 */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as down from './down.js';
import * as exec from './exec.js';
import * as heal from './heal.js';
import * as ls from './ls.js';
import * as partition from './partition.js';
import * as up from './up.js';

export function register(program: Command, ctx: CliContext): void {
  const lab = program.command('lab').description('Run a multi-node swarm on this machine, one network namespace per node');
  for (const verb of [up, ls, exec, partition, heal, down]) verb.register(lab, ctx);
}
