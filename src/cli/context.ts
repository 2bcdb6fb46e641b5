/**
 * What every CLI verb gets: where to write, the environment, and a lazily created API client (so `--help` and
 * parse errors never touch the daemon).
 */
import type { EngineClient } from '../client/index.js';

export interface Output {
  /** Text, or raw container bytes (exec/attach output is copied byte-exact). */
  write(data: string | Uint8Array): void;
}

export interface CliContext {
  out: Output;
  err: Output;
  env: Readonly<Record<string, string | undefined>>;
  /** The daemon address in use (`-H`, then $SHOAL_HOST, then the default socket). */
  host(): string;
  client(): Promise<EngineClient>;
  /** The name this CLI is called by in printed hints ("shoal swarm join ..."). */
  readonly binName: string;
}

export const DEFAULT_HOST = 'unix:///run/shoal/docker.sock';
