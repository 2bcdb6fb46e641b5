/**
 * A swarm task's secrets and configs inside its container (docker's daemon/container_operations_unix.go): one tmpfs
 * per container at `<exec-root>/secrets/<container id>` (mode 0700, never on disk), holding each file with its
 * `File.Mode` (default 0444), `UID` and `GID` (default 0); each file is bind-mounted read-only into the container:
 * a secret at `/run/secrets/<File.Name>` (an absolute `File.Name` as is), a config at `File.Name` (default
 * `/<ConfigName>`). The tmpfs is unmounted and removed with the container, and, after a daemon restart, for
 * containers that are gone (`cleanup`).
 *
 * `taskFilesFor` (pure) maps a task's references and payloads to files; `TaskFiles` does the I/O.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { invalidArgument } from '../../api/errors.js';
import type { ConfigReference, SecretReference } from '../../api/types.js';
import type { Logger } from '../../lib/logger.js';
import { mountAt, unmountAll } from '../volumes/index.js';

export interface TaskFile {
  kind: 'secret' | 'config';
  /** The secret's or config's ID. */
  id: string;
  /** Its name, for messages. */
  name: string;
  /** Absolute path inside the container. */
  target: string;
  /** base64. */
  data: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface TaskPayloads {
  Secrets: { ID: string; Data: string }[];
  Configs: { ID: string; Data: string }[];
}

/** A read-only file bind for the container's spec. */
export interface TaskFileMount {
  source: string;
  target: string;
}

export const SECRETS_DIR = '/run/secrets';
const DEFAULT_MODE = 0o444;

function id(value: string | undefined, what: string): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value)) throw invalidArgument('task.file_owner_invalid', `${what}: must be a numeric ID, got "${value}"`);
  return Number(value);
}

function mode(value: number | undefined, what: string): number {
  if (value === undefined) return DEFAULT_MODE;
  if (!Number.isInteger(value) || value < 0 || value > 0o7777) throw invalidArgument('task.file_mode_invalid', `${what}: invalid file mode ${value}`);
  return value;
}

/** The files of a task: its ContainerSpec's Secrets and Configs references with the data the dispatcher sent. */
export function taskFilesFor(
  spec: { Secrets?: readonly SecretReference[] | undefined; Configs?: readonly ConfigReference[] | undefined },
  payloads: TaskPayloads | undefined,
): TaskFile[] {
  const out: TaskFile[] = [];
  for (const s of spec.Secrets ?? []) {
    const data = payloads?.Secrets.find((p) => p.ID === s.SecretID)?.Data;
    if (data === undefined) throw invalidArgument('task.secret_missing', `secret ${s.SecretName} (${s.SecretID}) was not sent with the task`);
    const name = s.File?.Name || s.SecretName;
    const what = `secret ${s.SecretName}`;
    out.push({
      kind: 'secret', id: s.SecretID, name: s.SecretName, data,
      target: name.startsWith('/') ? posix.normalize(name) : posix.join(SECRETS_DIR, name),
      mode: mode(s.File?.Mode, `${what} File.Mode`), uid: id(s.File?.UID, `${what} File.UID`), gid: id(s.File?.GID, `${what} File.GID`),
    });
  }
  for (const c of spec.Configs ?? []) {
    if (!c.File) continue; // a runtime config (credential spec) has no file
    const data = payloads?.Configs.find((p) => p.ID === c.ConfigID)?.Data;
    if (data === undefined) throw invalidArgument('task.config_missing', `config ${c.ConfigName} (${c.ConfigID}) was not sent with the task`);
    const what = `config ${c.ConfigName}`;
    out.push({
      kind: 'config', id: c.ConfigID, name: c.ConfigName, data,
      target: posix.join('/', c.File.Name || c.ConfigName),
      mode: mode(c.File.Mode, `${what} File.Mode`), uid: id(c.File.UID, `${what} File.UID`), gid: id(c.File.GID, `${what} File.GID`),
    });
  }
  const seen = new Set<string>();
  for (const f of out) {
    if (f.target === '/' || f.target === SECRETS_DIR) throw invalidArgument('task.file_target_invalid', `${f.kind} ${f.name}: invalid target "${f.target}"`);
    if (seen.has(f.target)) throw invalidArgument('task.file_target_duplicate', `${f.kind} ${f.name}: duplicate target "${f.target}"`);
    seen.add(f.target);
  }
  return out;
}

export class TaskFiles {
  private readonly log: Logger;

  constructor(private readonly o: { root: string; logger: Logger }) {
    this.log = o.logger.child({ component: 'task-files' });
  }

  dir(containerId: string): string {
    return join(this.o.root, containerId);
  }

  /** Mounts the container's tmpfs, writes the files and returns their binds; all-or-nothing. */
  async write(containerId: string, files: readonly TaskFile[]): Promise<TaskFileMount[]> {
    if (files.length === 0) return [];
    const dir = this.dir(containerId);
    mkdirSync(this.o.root, { recursive: true, mode: 0o700 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      await mountAt(dir, { type: 'tmpfs', device: 'tmpfs', options: 'nosuid,nodev,noexec,mode=0700,size=16m' }, `mounting the secrets of container ${containerId}`);
      const out: TaskFileMount[] = [];
      for (const [i, f] of files.entries()) {
        const sub = join(dir, `${f.kind}s`);
        mkdirSync(sub, { recursive: true, mode: 0o700 });
        const path = join(sub, `${i}-${f.id}`);
        writeFileSync(path, Buffer.from(f.data, 'base64'), { mode: 0o600 });
        chownSync(path, f.uid, f.gid);
        chmodSync(path, f.mode);
        out.push({ source: path, target: f.target });
      }
      this.log.info({ id: containerId, files: files.length }, 'task files written');
      return out;
    } catch (e) {
      await this.remove(containerId).catch(() => undefined);
      throw e;
    }
  }

  /** Unmounts and removes the container's files (a no-op when there are none). */
  async remove(containerId: string): Promise<void> {
    const dir = this.dir(containerId);
    if (!existsSync(dir)) return;
    await unmountAll(dir);
    rmSync(dir, { recursive: true, force: true });
  }

  /** After a restart: removes the files of every container not in `keep`. */
  async cleanup(keep: ReadonlySet<string>): Promise<void> {
    if (!existsSync(this.o.root)) return;
    for (const id of readdirSync(this.o.root)) {
      if (keep.has(id)) continue;
      await this.remove(id).catch((e: unknown) => this.log.warn({ id, err: e instanceof Error ? e.message : String(e) }, 'removing stale task files failed'));
    }
  }
}
