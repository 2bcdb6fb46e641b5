/**
 * Images, docker's grammar: `image <verb>` (pull, load, ls|list, inspect, rm|remove, tag, prune) and the top-level
 * shortcuts `pull`, `load`, `images`, `rmi` and `tag`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as inspect from './inspect.js';
import * as load from './load.js';
import * as ls from './ls.js';
import * as prune from './prune.js';
import * as pull from './pull.js';
import * as rm from './rm.js';
import * as tag from './tag.js';

export function register(program: Command, ctx: CliContext): void {
  const image = program.command('image').description('Manage images');
  pull.register(image, ctx);
  load.register(image, ctx);
  ls.register(image, ctx);
  inspect.register(image, ctx);
  rm.register(image, ctx);
  tag.register(image, ctx);
  prune.register(image, ctx);

  pull.register(program, ctx);
  load.register(program, ctx);
  ls.register(program, ctx, 'images', []);
  rm.register(program, ctx, 'rmi', []);
  tag.register(program, ctx);
}
