/**
 * Networks, docker's grammar: `network <verb>` with connect, create, disconnect, inspect, ls|list, prune and
 * rm|remove, each in its own file (parse → options → `run(ctx, client, options)`). Bodies, queries and output
 * follow the docker CLI 28.x (docs/docker-engine-api.md §3.4); the Engine-API calls are in src/client/networks.ts.
 * Shoal's daemon has swarm overlay networks only, so `create` defaults to `--driver overlay` (docker's default,
 * bridge, would be refused).
 */
import { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as connect from './connect.js';
import * as create from './create.js';
import * as disconnect from './disconnect.js';
import * as inspect from './inspect.js';
import * as ls from './ls.js';
import * as prune from './prune.js';
import * as rm from './rm.js';

export function register(program: Command, ctx: CliContext): void {
  const network = new Command('network');
  network.copyInheritedSettings(program);
  network.description('Manage networks');
  program.addCommand(network);
  connect.register(network, ctx);
  create.register(network, ctx);
  disconnect.register(network, ctx);
  inspect.register(network, ctx);
  ls.register(network, ctx);
  prune.register(network, ctx);
  rm.register(network, ctx);
}
