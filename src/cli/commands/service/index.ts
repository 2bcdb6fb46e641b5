/**
 * Services, docker's grammar: `service <verb>` with create, inspect, logs, ls|list, ps, rm|remove, rollback, scale
 * and update, each in its own file (parse → options → `run(ctx, client, options)`). Bodies, queries and output
 * follow the docker CLI 28.x (docs/docker-engine-api.md §3.5, §4, §5, §9); the Engine-API calls are in
 * src/client/services.ts.
 *
 * Boolean flags accept docker's `--flag=true|false` form (`service create --detach=false`, `update --init=false`):
 * commander has no such syntax, so the service commands rewrite it before parsing (`--flag` / `--no-flag`).
 */
import { Command } from 'commander';
import type { Option } from 'commander';
import type { CliContext } from '../../context.js';
import * as create from './create.js';
import * as inspect from './inspect.js';
import * as logs from './logs.js';
import * as ls from './ls.js';
import * as ps from './ps.js';
import * as rm from './rm.js';
import * as rollback from './rollback.js';
import * as scale from './scale.js';
import * as update from './update.js';

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

const takesValue = (o: Option): boolean => o.required || o.optional;

/**
 * Rewrites `--flag=<bool>` for this command's boolean flags: true → `--flag`, false → `--no-flag` when the command
 * declares it, else nothing (false is the default). Stops at `--`, and at the first operand of a command that
 * passes the rest through (`create IMAGE --flag=false` belongs to the container).
 */
export function rewriteBoolFlags(cmd: Command, args: readonly string[], passThrough: boolean): string[] {
  const out: string[] = [];
  const options: readonly Option[] = cmd.options;
  const byLong = (name: string): Option | undefined => options.find((o) => o.long === name);
  const byShort = (name: string): Option | undefined => options.find((o) => o.short === name);
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const opt = byLong(name);
      if (opt !== undefined && !takesValue(opt) && eq >= 0) {
        const v = arg.slice(eq + 1);
        if (TRUE.has(v)) out.push(name);
        else if (FALSE.has(v)) {
          if (opt.negate) continue;
          const neg = byLong(`--no-${name.slice(2)}`);
          if (neg !== undefined) out.push(neg.long as string);
        } else out.push(arg);
        continue;
      }
      out.push(arg);
      if (opt !== undefined && takesValue(opt) && eq < 0 && opt.required && i + 1 < args.length) out.push(args[++i] as string);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      out.push(arg);
      // a short-flag cluster: the first flag that takes a value ends it; its value may be the next argument
      for (let j = 1; j < arg.length; j++) {
        const opt = byShort(`-${arg[j] as string}`);
        if (opt !== undefined && takesValue(opt)) {
          if (j === arg.length - 1 && opt.required && i + 1 < args.length) out.push(args[++i] as string);
          break;
        }
      }
      continue;
    }
    if (passThrough) break;
    out.push(arg);
  }
  return [...out, ...args.slice(i)];
}

/** A commander Command whose subcommands accept `--flag=false`. */
export class ServiceCommand extends Command {
  passThroughArgs = false;

  override createCommand(name?: string): ServiceCommand {
    return new ServiceCommand(name);
  }

  override passThroughOptions(passThrough = true): this {
    this.passThroughArgs = passThrough;
    return super.passThroughOptions(passThrough);
  }

  override parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    return super.parseOptions(this.commands.length > 0 ? args : rewriteBoolFlags(this, args, this.passThroughArgs));
  }
}

export function register(program: Command, ctx: CliContext): void {
  const service = new ServiceCommand('service');
  service.copyInheritedSettings(program);
  service.description('Manage Swarm services').enablePositionalOptions();
  program.addCommand(service);
  create.register(service, ctx);
  inspect.register(service, ctx);
  logs.register(service, ctx);
  ls.register(service, ctx);
  ps.register(service, ctx);
  rm.register(service, ctx);
  rollback.register(service, ctx);
  scale.register(service, ctx);
  update.register(service, ctx);
}
