/**
 * Container records on disk: `<root>/<id>/config.v2.json` holds the inspect object plus what the agent needs to
 * start the container again (the planned mounts). Written atomically on every state change, so a kill -9 of the
 * daemon leaves the last complete record.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerInspect } from '../../api/container.js';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import type { Logger } from '../../lib/logger.js';
import type { HostPortMapping, SandboxEndpoint } from '../exec/network.js';
import type { PlannedMount } from './mounts.js';

export interface ContainerRecord {
  inspect: ContainerInspect;
  mounts: PlannedMount[];
  /** The container's network sandbox (docs/design/networking.md): the netns it joins and what it was wired with. */
  network?: { netnsPath: string; endpoints: SandboxEndpoint[]; hostPorts: HostPortMapping[] };
}

export class RecordStore {
  constructor(
    readonly root: string,
    private readonly logger: Logger,
  ) {
    mkdirSync(root, { recursive: true, mode: 0o710 });
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  save(rec: ContainerRecord): void {
    mkdirSync(this.dir(rec.inspect.Id), { recursive: true, mode: 0o710 });
    writeFileAtomic(join(this.dir(rec.inspect.Id), 'config.v2.json'), JSON.stringify(rec), 0o600);
  }

  loadAll(): ContainerRecord[] {
    const out: ContainerRecord[] = [];
    for (const id of readdirSync(this.root)) {
      try {
        out.push(JSON.parse(readFileSync(join(this.root, id, 'config.v2.json'), 'utf8')) as ContainerRecord);
      } catch (e) {
        // A directory without a complete record is what a crash during create leaves: nothing to adopt.
        this.logger.warn({ id, err: e instanceof Error ? e.message : String(e) }, 'dropping incomplete container directory');
        rmSync(join(this.root, id), { recursive: true, force: true });
      }
    }
    return out;
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
