/**
 * What the agent persists per container so a later agent process can adopt it: the spec, when it was created
 * and started, and the identities (PID + start time) of its init process and its conmon. Written atomically;
 * `exit.json` caches the observed exit once known, so it outlives the cgroup it was read from.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../../lib/atomic-file.js';
import type { ContainerSpec, ExitStatus } from '../../exec/runtime.js';

export interface ContainerRecord {
  v: 1;
  spec: ContainerSpec;
  createdAt: number;
  startedAt?: number;
  stdin: boolean;
  cgroupsPath: string;
  pid: number;
  pidStartTime: string;
  conmonPid: number;
  conmonStartTime?: string;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

export function readRecord(path: string): Promise<ContainerRecord | undefined> {
  return readJson<ContainerRecord>(path);
}

export function writeRecord(path: string, r: ContainerRecord): void {
  writeFileAtomic(path, JSON.stringify(r));
}

export function readExitRecord(path: string): Promise<ExitStatus | undefined> {
  return readJson<ExitStatus>(path);
}

export function writeExitRecord(path: string, e: ExitStatus): void {
  writeFileAtomic(path, JSON.stringify(e));
}
