import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as inspect from './inspect.js';
import * as ls from './ls.js';
import * as promote from './promote.js';
import * as rm from './rm.js';
import * as update from './update.js';

export function register(program: Command, ctx: CliContext): void {
  const node = program.command('node').description('Manage Swarm nodes');
  for (const verb of [ls, inspect, update, promote, rm]) verb.register(node, ctx);
}
