/**
 * How container verbs end, the docker way: `run` and `create` report their own failures as
 * "<bin>: <message>.\nSee '<bin> run --help'." and exit 125 (126/127 when the process could not be executed);
 * otherwise the CLI exits with the container's (or exec'd process's) status, printing nothing more.
 */
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';

/**
 * An exit with `code` and no message (docker's StatusError without Status). The CLI's top level prints a CliError's
 * message followed by a newline; with an empty message it should print nothing (see the report to the lead).
 */
export function exitStatus(code: number): CliError {
  return new CliError('', code);
}

/** docker's reportError: "<bin>: <message>." then, with help, "See '<bin> <verb> --help'." */
export function reportError(ctx: CliContext, verb: string, message: string, withHelp: boolean): void {
  let text = message.replace(/\.$/, '') + '.';
  if (withHelp) text += `\nSee '${ctx.binName} ${verb} --help'.`;
  ctx.err.write(`${ctx.binName}: ${text}\n`);
}

/**
 * docker's runStartContainerErr: 127 when the command was not found, 126 when it could not be executed
 * (permission denied, a directory), 125 for any other failure of the daemon.
 */
export function startErrorStatus(message: string): number {
  const m = message.replace(/^Error response from daemon: /, '');
  if (m.includes('executable file not found') || m.includes('no such file or directory') || m.includes('system cannot find the file specified')) {
    return 127;
  }
  if (m.includes('permission denied') || m.includes('is a directory')) return 126;
  return 125;
}
