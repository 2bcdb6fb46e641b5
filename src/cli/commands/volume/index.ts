/** Volumes, docker's grammar: `volume <verb>` (create, ls|list, inspect, rm|remove, prune). */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as create from './create.js';
import * as inspect from './inspect.js';
import * as ls from './ls.js';
import * as prune from './prune.js';
import * as rm from './rm.js';

export function register(program: Command, ctx: CliContext): void {
  const volume = program.command('volume').description('Manage volumes');
  create.register(volume, ctx);
  ls.register(volume, ctx);
  inspect.register(volume, ctx);
  rm.register(volume, ctx);
  prune.register(volume, ctx);
}
