/**
 * The worker's local task records (swarmkit's agent/storage.go, as files): `<dir>/tasks/<taskID>.json` holds the last
 * assigned task and the last status the agent gave it. Each write replaces the file atomically, so a crash leaves the
 * old or the new record, never a torn one; leftovers of an interrupted write are removed when loading.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskStatus } from '../../api/types.js';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import type { Logger } from '../../lib/logger.js';
import type { AgentTask } from '../exec/controller.js';

export interface TaskRecord {
  task: AgentTask;
  status: TaskStatus;
}

const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Task IDs name files: only plain IDs are accepted (no path separators, no dots). */
export function isValidTaskId(id: unknown): id is string {
  return typeof id === 'string' && VALID_ID.test(id);
}

export class TaskStore {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly logger: Logger,
  ) {
    this.dir = join(root, 'tasks');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private path(id: string): string {
    if (!isValidTaskId(id)) throw new Error(`invalid task ID ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.json`);
  }

  save(rec: TaskRecord): void {
    writeFileAtomic(this.path(rec.task.ID), JSON.stringify(rec), 0o600);
  }

  delete(id: string): void {
    rmSync(this.path(id), { force: true });
  }

  loadAll(): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined;
      if (id === undefined || !isValidTaskId(id)) {
        // An interrupted atomic write leaves `<id>.json.tmp-<pid>`; nothing else belongs here.
        rmSync(file, { force: true, recursive: true });
        continue;
      }
      try {
        const rec = JSON.parse(readFileSync(file, 'utf8')) as TaskRecord;
        if (rec.task.ID !== id || typeof rec.status.State !== 'string') throw new Error('record does not match its file name');
        out.push(rec);
      } catch (e) {
        this.logger.warn({ file, err: e instanceof Error ? e.message : String(e) }, 'dropping an unreadable task record');
        rmSync(file, { force: true });
      }
    }
    return out;
  }
}
