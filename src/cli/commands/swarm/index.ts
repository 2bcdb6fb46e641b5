import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as init from './init.js';
import * as inspect from './inspect.js';
import * as join from './join.js';
import * as joinToken from './join-token.js';
import * as leave from './leave.js';
import * as update from './update.js';

export function register(program: Command, ctx: CliContext): void {
  const swarm = program.command('swarm').description('Manage Swarm');
  for (const verb of [init, join, joinToken, leave, inspect, update]) verb.register(swarm, ctx);
}
