import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { renderInspect } from './format/index.js';

/** Prints `inspect` output the docker way: whatever rendered, then each per-object error, and exit status 1 if any. */
export function writeInspect(ctx: CliContext, objects: readonly unknown[], format: string | undefined): void {
  const { output, errors } = renderInspect(objects, format);
  ctx.out.write(output);
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}
