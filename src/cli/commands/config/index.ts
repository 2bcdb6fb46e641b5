import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as create from '../secret/create.js';
import * as inspect from '../secret/inspect.js';
import { CONFIGS } from '../secret/kinds.js';
import * as ls from '../secret/ls.js';
import * as rm from '../secret/rm.js';

/** `shoal config create|ls|inspect|rm`: the secret verbs over `/configs` (`inspect --pretty` shows the data). */
export function register(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('Manage Swarm configs');
  for (const verb of [create, inspect, ls, rm]) verb.register(config, ctx, CONFIGS);
}
