/**
 * docker's parallelOperation: one call per container, run concurrently, results reported in argument order. Each
 * success prints `print(ref, value)`; failures are collected as their error texts.
 */
import { isShoalError } from '../../../api/errors.js';
import type { CliContext } from '../../context.js';
import { CliError, errorText } from '../../errors.js';

export interface EachOptions<T> {
  /** What to print for a success (default: the argument as given). */
  print?: (ref: string, value: T) => string;
  /** With `rm -f`: "not found" errors go to stderr and do not fail the command. */
  ignoreNotFound?: boolean;
}

export async function forEachContainer<T>(ctx: CliContext, refs: readonly string[], op: (ref: string) => Promise<T>, o: EachOptions<T> = {}): Promise<void> {
  const results = await Promise.allSettled(refs.map((r) => op(r)));
  const errors: string[] = [];
  results.forEach((r, i) => {
    const ref = refs[i] as string;
    if (r.status === 'fulfilled') {
      ctx.out.write((o.print ? o.print(ref, r.value) : ref) + '\n');
    } else if (o.ignoreNotFound === true && isShoalError(r.reason, 'NotFound')) {
      ctx.err.write(errorText(r.reason) + '\n');
    } else {
      errors.push(errorText(r.reason));
    }
  });
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}
