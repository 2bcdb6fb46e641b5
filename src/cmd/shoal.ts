/**
 * The `shoal` executable: `shoal daemon ...` runs a node; every other verb is the CLI.
 * This file and its siblings are the only composition roots (DESIGN §2).
 */
import { runCli } from '../cli/program.js';
import { ENGINE_VERSION } from '../daemon/version.js';
import { runDaemon } from './daemon.js';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'daemon') {
    await runDaemon(argv.slice(1));
    return 0;
  }
  return runCli({
    argv,
    out: { write: (s) => process.stdout.write(s) },
    err: { write: (s) => process.stderr.write(s) },
    env: process.env,
    version: ENGINE_VERSION,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`shoal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
