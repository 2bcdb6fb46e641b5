/**
 * What the Engine-API routes need from the daemon (moby's router "backends"). The routes stay HTTP-only;
 * the daemon (src/daemon) implements this interface, and src/cmd wires the two together.
 */
import type { ContainerInspect, ContainerSummary } from '../../api/container.js';
import type { Filters } from '../../api/filters.js';
import type { Node, Swarm } from '../../api/types.js';

export interface SwarmUpdateRequest {
  version: number;
  spec: unknown;
  rotateWorkerToken: boolean;
  rotateManagerToken: boolean;
  rotateManagerUnlockKey: boolean;
}

export interface NodeBackend {
  list(filters: Filters): Promise<Node[]>;
  inspect(ref: string): Promise<Node>;
  update(ref: string, version: number, spec: unknown): Promise<void>;
  remove(ref: string, force: boolean): Promise<void>;
}

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProcessStreams {
  stdin: NodeJS.WritableStream | undefined;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream | undefined;
  /** Resolves when the process (or the attachment) ends. */
  done: Promise<unknown>;
  resize(rows: number, cols: number): void;
  /** Releases the streams without stopping the process (attach) or after it ended. */
  close(): void;
}

export interface ContainerBackend {
  create(body: unknown, name: string | undefined): Promise<{ Id: string; Warnings: string[] }>;
  start(ref: string): Promise<'started' | 'already-running'>;
  stop(ref: string, opts: { timeoutS?: number; signal?: string }): Promise<'stopped' | 'not-running'>;
  restart(ref: string, opts: { timeoutS?: number; signal?: string }): Promise<void>;
  kill(ref: string, signal: string): Promise<void>;
  wait(ref: string, condition: string, signal: AbortSignal): Promise<{ StatusCode: number; Error?: { Message: string } }>;
  remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
  inspect(ref: string): ContainerInspect;
  list(opts: { all: boolean; filters: Filters; limit?: number }): ContainerSummary[];
  logs(ref: string, opts: { stdout: boolean; stderr: boolean; since: number; until: number; tail: number | undefined; follow: boolean }, signal: AbortSignal): { tty: boolean; lines: AsyncIterable<LogLine> };
  attach(ref: string): Promise<{ tty: boolean; streams: ProcessStreams }>;
  resize(ref: string, rows: number, cols: number): Promise<void>;
  execCreate(ref: string, body: unknown): { Id: string };
  execStart(id: string): Promise<{ tty: boolean; streams: ProcessStreams }>;
  execResize(id: string, rows: number, cols: number): void;
  execInspect(id: string): Record<string, unknown>;
}

export interface ImageBackend {
  pull(ref: string, opts: { insecure: boolean; auth: unknown; onProgress: (p: unknown) => void; signal: AbortSignal }): Promise<{ id: string; digest?: string; name: string }>;
  load(tarPath: string, onProgress: (p: unknown) => void): Promise<string[]>;
  list(opts: { all: boolean; filters: Filters; digests: boolean }): Promise<unknown[]>;
  inspect(ref: string): Promise<unknown>;
  remove(ref: string, opts: { force: boolean; noprune: boolean }): Promise<unknown[]>;
  tag(ref: string, repo: string, tag: string): Promise<void>;
  prune(filters: Filters): Promise<{ ImagesDeleted: unknown[] | null; SpaceReclaimed: number }>;
  /** Where to put an uploaded tarball before loading it. */
  tempDir(): string;
}

export interface EngineBackend {
  containers: ContainerBackend;
  images: ImageBackend;
  /** The `Swarm` header of `/_ping`. */
  swarmHeader(): string;
  systemInfo(): Promise<Record<string, unknown>>;
  systemVersion(): Record<string, unknown>;
  swarmInit(request: unknown): Promise<string>;
  swarmJoin(request: unknown): Promise<void>;
  swarmLeave(force: boolean): Promise<void>;
  swarmInspect(): Promise<Swarm>;
  swarmUpdate(request: SwarmUpdateRequest): Promise<void>;
  swarmUnlockKey(): Promise<{ UnlockKey: string }>;
  nodes: NodeBackend;
}
