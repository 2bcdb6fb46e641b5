import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as create from './create.js';
import * as inspect from './inspect.js';
import { SECRETS } from './kinds.js';
import * as ls from './ls.js';
import * as rm from './rm.js';

/** `shoal secret create|ls|inspect|rm` (Swarm secrets; the data never comes back from the daemon). */
export function register(program: Command, ctx: CliContext): void {
  const secret = program.command('secret').description('Manage Swarm secrets');
  for (const verb of [create, inspect, ls, rm]) verb.register(secret, ctx, SECRETS);
}
