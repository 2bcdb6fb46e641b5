import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import type { ServiceHost } from './host.js';
import { waitOnService } from './progress.js';

/** WaitOnService with the host's terminal and interrupt, released afterwards. */
export async function waitFor(ctx: CliContext, client: EngineClient, host: ServiceHost, ref: string, quiet: boolean): Promise<void> {
  const env = host.waitEnvironment();
  try {
    await waitOnService(ctx, client, ref, env, { quiet });
  } finally {
    env.dispose();
  }
}

/** The response warnings, one per line on stderr (docker's Fprintln: a warning ending in "\n" leaves a blank line). */
export function printWarnings(ctx: CliContext, warnings: readonly string[] | null | undefined): void {
  for (const w of warnings ?? []) ctx.err.write(w + '\n');
}
