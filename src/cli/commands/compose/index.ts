/**
 * `shoal compose [-f FILE]... [-p NAME] [--project-directory DIR] <verb>`: docker compose on one host, no swarm.
 * Like `docker compose`, a client of the daemon's Engine API: local bridge networks, volumes and containers named
 * and labelled as docker compose names them (`<project>_default`, `<project>-<service>-<n>`,
 * `com.docker.compose.*`), planned by src/compose/model/compose-plan.ts from the model `loadProject` gives.
 * Verbs: up, down, ps, logs, stop, start, restart, config, pull.
 */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import { collect } from '../../options.js';
import * as config from './config.js';
import * as down from './down.js';
import * as lifecycle from './lifecycle.js';
import * as logs from './logs.js';
import type { ComposeGlobalOptions } from './project.js';
import * as ps from './ps.js';
import * as pull from './pull.js';
import * as up from './up.js';

export function register(program: Command, ctx: CliContext): void {
  const compose = program
    .command('compose')
    .description('Define and run multi-container applications on this host (docker compose)')
    .option('-f, --file <path>', 'Compose configuration files', collect)
    .option('-p, --project-name <name>', 'Project name')
    .option('--project-directory <path>', 'Specify an alternate working directory (default: the path of the first specified Compose file)');
  const globals = (): ComposeGlobalOptions => compose.opts<ComposeGlobalOptions>();
  up.register(compose, ctx, globals);
  down.register(compose, ctx, globals);
  ps.register(compose, ctx, globals);
  logs.register(compose, ctx, globals);
  lifecycle.register(compose, ctx, globals);
  config.register(compose, ctx, globals);
  pull.register(compose, ctx, globals);
}
