/**
 * Container output as docker compose shows it: whole lines, each prefixed `<container> | ` (names padded to one
 * width), from `GET /containers/{id}/logs` (demultiplexed unless the container has a TTY). A partial last line is
 * held until its newline or the end of the stream.
 */
import { containerLogs } from '../../../client/containers.js';
import type { ContainerLogsOptions } from '../../../client/container-types.js';
import { pumpOutput } from '../../../client/hijack.js';
import type { EngineClient } from '../../../client/index.js';
import type { Output } from '../../context.js';

/** Splits a byte stream into lines and writes each with `prefix` in front. */
export class LinePrefixer {
  private rest = '';

  constructor(
    private readonly out: Output,
    private readonly prefix: string,
  ) {}

  push(data: Buffer | string): void {
    const text = this.rest + (typeof data === 'string' ? data : data.toString('utf8'));
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const l of lines) this.out.write(`${this.prefix}${l}\n`);
  }

  flush(): void {
    if (this.rest !== '') this.out.write(`${this.prefix}${this.rest}\n`);
    this.rest = '';
  }
}

export function prefixFor(name: string, width: number, enabled = true): string {
  return enabled ? `${name.padEnd(width)} | ` : '';
}

export interface LogTarget {
  id: string;
  name: string;
  tty?: boolean;
}

/** Copies one container's logs, line-prefixed, to `out` (stdout) and `err` (stderr) until the stream ends. */
export async function prefixedLogs(client: EngineClient, c: LogTarget, prefix: string, out: Output, err: Output, o: ContainerLogsOptions, signal?: AbortSignal): Promise<void> {
  const res = await containerLogs(client, c.id, { stdout: true, stderr: true, ...o }, signal);
  const so = new LinePrefixer(out, prefix);
  const se = new LinePrefixer(err, prefix);
  try {
    await pumpOutput(res, { stdout: (d) => so.push(d), stderr: (d) => se.push(d) }, c.tty !== true);
  } catch (e) {
    if (signal?.aborted !== true) throw e;
  } finally {
    so.flush();
    se.flush();
  }
}
