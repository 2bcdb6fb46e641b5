/**
 * Stacks, docker's grammar: `stack <verb>` with config, deploy|up, ls|list, ps, rm|remove|down and services, each in
 * its own file. A stack is the compose file's objects named `<stack>_<key>` and labelled
 * `com.docker.stack.namespace=<stack>` (compose/model/stack.ts); every verb finds them again by that label, so
 * stacks deployed by `docker stack deploy` and by `shoal stack deploy` are the same to both CLIs.
 * `--detach=false` is accepted as docker writes it (ServiceCommand rewrites `--flag=<bool>`).
 */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { ServiceCommand } from '../service/index.js';
import * as config from './config.js';
import * as deploy from './deploy.js';
import * as ls from './ls.js';
import * as ps from './ps.js';
import * as rm from './rm.js';
import * as services from './services.js';

export function register(program: Command, ctx: CliContext): void {
  const stack = new ServiceCommand('stack');
  stack.copyInheritedSettings(program);
  stack.description('Manage Swarm stacks').enablePositionalOptions();
  program.addCommand(stack);
  config.register(stack, ctx);
  deploy.register(stack, ctx);
  ls.register(stack, ctx);
  ps.register(stack, ctx);
  rm.register(stack, ctx);
  services.register(stack, ctx);
}
