/**
 * Writes a container's output bytes to a CLI Output unchanged. The shoal entry point's Output is
 * `process.stdout.write`, which takes bytes as they are (so `shoal exec c cat file > copy` is byte-exact), and
 * the tests' string-collecting Outputs append a Buffer as its UTF-8 text; both accept a Buffer at run time, which
 * `Output.write`'s declared type (string) does not say yet.
 */
import type { Output } from '../../context.js';

interface ByteOutput {
  write(data: string | Uint8Array): void;
}

export function writeBytes(out: Output, data: Buffer): void {
  if (data.length === 0) return;
  // Method parameters are bivariant, so an Output is accepted here: the run-time contract is the module doc's.
  const sink: ByteOutput = out;
  sink.write(data);
}
