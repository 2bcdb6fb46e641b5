/**
 * Containers on one host, docker's grammar: `container <verb>` (ls|list|ps, run, create, start, stop, kill,
 * rm|remove, logs, inspect, exec, wait) and the top-level shortcuts (ps, run, create, start, stop, kill, rm, logs,
 * exec, wait), plus the top-level `inspect` that finds any object by name or ID.
 */
import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import * as create from './create.js';
import * as exec from './exec.js';
import * as inspectAny from './inspect-any.js';
import * as inspect from './inspect.js';
import * as kill from './kill.js';
import * as logs from './logs.js';
import * as ps from './ps.js';
import * as rm from './rm.js';
import * as runVerb from './run.js';
import * as start from './start.js';
import * as stop from './stop.js';
import * as wait from './wait.js';

export function register(program: Command, ctx: CliContext): void {
  const container = program.command('container').description('Manage containers').enablePositionalOptions();
  ps.register(container, ctx, 'ls', ['list', 'ps']);
  for (const verb of [runVerb, create, start, stop, kill]) verb.register(container, ctx);
  rm.register(container, ctx, 'rm', ['remove']);
  for (const verb of [logs, inspect, exec, wait]) verb.register(container, ctx);

  ps.register(program, ctx);
  for (const verb of [runVerb, create, start, stop, kill, rm, logs, exec, wait]) verb.register(program, ctx);
  inspectAny.register(program, ctx);
}
