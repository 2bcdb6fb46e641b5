/**
 * The local volume driver and docker's volume service over it: `<root>/<name>/_data` holds a volume's data and
 * `<root>/<name>/volume.json` its metadata (labels, options, creation time), so volumes survive a daemon restart.
 *
 * Containers reference volumes from their create until their removal (a referenced volume cannot be removed), and
 * activate them while they run: a tmpfs or bind volume is mounted at `_data` when its first running container
 * starts and unmounted when the last one stops, when its last container is removed, and when it is removed.
 * References are not persisted: ContainerService rebuilds them from its records at load (`reference` +
 * `markActive`), then `settle()` unmounts what no running container uses.
 *
 * Invariants: a name is unique; a volume with references is never removed; a failed create leaves nothing; mount
 * and unmount of one volume never run concurrently (one queue per store).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, invalidArgument, notFound } from '../../api/errors.js';
import type { Filters } from '../../api/filters.js';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import type { Clock } from '../../lib/clock.js';
import { newHexId } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import { isMountPoint, mountAt, unmountAll } from './mount-ops.js';
import { checkVolumeName, planVolumeMount, type VolumeMountPlan } from './options.js';

/** docker's `Volume` JSON (API 1.47). `UsageData` only with `usage` (docker fills it for `system df`). */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number };
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** What a container asks of one volume: created on first use with these options and labels. */
export interface VolumeUse {
  name: string;
  anonymous: boolean;
  driver?: string | undefined;
  options?: Record<string, string> | undefined;
  labels?: Record<string, string> | undefined;
}

export interface VolumeStoreOptions {
  root: string;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** docker labels the volumes it makes for `-v /path` and `--mount type=volume` without a source. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export const LIST_FILTERS = ['name', 'label', 'dangling', 'driver'] as const;
export const PRUNE_FILTERS = ['label', 'label!', 'all'] as const;

interface Meta {
  Name: string;
  Driver: 'local';
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

const META_FILE = 'volume.json';

const noSuchVolume = (name: string): Error => notFound('volume.not_found', `get ${name}: no such volume`);

/** Go's RFC 3339 in UTC with seconds (what docker's local driver prints). */
function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function nonEmpty(m: Record<string, string> | null | undefined): Record<string, string> | null {
  return m && Object.keys(m).length > 0 ? { ...m } : null;
}

async function du(path: string): Promise<number> {
  let total = 0;
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  for (const e of await readdir(path).catch(() => [] as string[])) total += await du(join(path, e));
  return total;
}

export class VolumeStore {
  private readonly volumes = new Map<string, Meta>();
  /** Volume name → IDs of the containers that reference it. */
  private readonly refs = new Map<string, Set<string>>();
  /** Volume name → IDs of the running containers that use it. */
  private readonly active = new Map<string, Set<string>>();
  private readonly removing = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly o: VolumeStoreOptions) {
    this.log = o.logger.child({ component: 'volumes' });
    mkdirSync(o.root, { recursive: true, mode: 0o711 });
    this.load();
  }

  dataDir(name: string): string {
    return join(this.o.root, name, '_data');
  }

  private load(): void {
    for (const name of readdirSync(this.o.root)) {
      if (name.startsWith('.')) {
        // A removal interrupted by a crash.
        rmSync(join(this.o.root, name), { recursive: true, force: true });
        continue;
      }
      const dir = join(this.o.root, name);
      let meta: Meta | undefined;
      try {
        const raw = JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as Partial<Meta>;
        if (raw.Name === name) meta = { Name: name, Driver: 'local', Labels: raw.Labels ?? null, Options: raw.Options ?? null, CreatedAt: raw.CreatedAt ?? '' };
      } catch {
        // A volume made before metadata was kept (a bare `_data`): adopted as a plain local volume.
        if (existsSync(join(dir, '_data'))) meta = { Name: name, Driver: 'local', Labels: null, Options: null, CreatedAt: rfc3339Seconds(statSync(dir).mtimeMs) };
      }
      if (meta) this.volumes.set(name, meta);
      else this.log.warn({ name }, 'ignoring a directory that is not a volume');
    }
  }

  /** Runs mount-changing work one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private view(m: Meta): Volume {
    return { CreatedAt: m.CreatedAt, Driver: m.Driver, Labels: m.Labels, Mountpoint: this.dataDir(m.Name), Name: m.Name, Options: m.Options, Scope: 'local' };
  }

  private get(name: string): Meta {
    const m = this.volumes.get(name);
    if (!m) throw noSuchVolume(name);
    return m;
  }

  private refCount(name: string): number {
    return this.refs.get(name)?.size ?? 0;
  }

  // ------------------------------------------------------------------ the /volumes API

  /** `POST /volumes/create`: the existing volume when the name is taken (docker's rule), else a new one. */
  create(body: unknown): Volume {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('volume.body_invalid', 'invalid JSON: expected an object');
    const b = body as Record<string, unknown>;
    for (const k of ['Name', 'Driver'] as const) {
      if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') throw invalidArgument('volume.body_invalid', `${k}: expected a string`);
    }
    for (const k of ['DriverOpts', 'Labels'] as const) {
      if (b[k] !== undefined && b[k] !== null && !isStringMap(b[k])) throw invalidArgument('volume.body_invalid', `${k}: expected an object of strings`);
    }
    const req = b as VolumeCreateRequest;
    return this.view(this.ensure({ name: req.Name || newHexId(this.o.random), anonymous: false, driver: req.Driver ?? undefined, options: req.DriverOpts ?? undefined, labels: req.Labels ?? undefined }));
  }

  private ensure(u: VolumeUse): Meta {
    const driver = u.driver === undefined || u.driver === '' ? 'local' : u.driver;
    if (this.removing.has(u.name)) throw conflict('volume.removing', `create ${u.name}: the volume is being removed`);
    const existing = this.volumes.get(u.name);
    if (existing) {
      if (driver !== 'local') throw conflict('volume.driver_conflict', `create ${u.name}: volume name ${u.name} already in use with driver local`);
      return existing;
    }
    if (driver !== 'local') throw notFound('volume.driver_unknown', `create ${u.name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    checkVolumeName(u.name);
    planVolumeMount(u.name, u.options);
    const labels = { ...(u.labels ?? {}), ...(u.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
    const meta: Meta = { Name: u.name, Driver: 'local', Labels: nonEmpty(labels), Options: nonEmpty(u.options), CreatedAt: rfc3339Seconds(this.o.clock.now()) };
    const dir = join(this.o.root, u.name);
    try {
      mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
      writeFileAtomic(join(dir, META_FILE), JSON.stringify(meta), 0o600);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    this.volumes.set(u.name, meta);
    this.log.info({ name: u.name, options: meta.Options }, 'volume created');
    return meta;
  }

  inspect(name: string): Volume {
    return this.view(this.get(name));
  }

  /** `GET /volumes`: filters `name` (regular expression or substring), `label`, `dangling`, `driver`. */
  list(filters: Filters): Volume[] {
    filters.validate(LIST_FILTERS);
    const dangling = filters.has('dangling') ? filters.bool('dangling', false) : undefined;
    const nameMatch = (n: string): boolean =>
      !filters.has('name') ||
      filters.values('name').some((v) => {
        try {
          return new RegExp(v).test(n);
        } catch {
          return n.includes(v);
        }
      });
    return [...this.volumes.values()]
      .filter(
        (m) =>
          nameMatch(m.Name) &&
          filters.matchLabels(m.Labels ?? {}) &&
          filters.matchExact('driver', m.Driver) &&
          (dangling === undefined || dangling === (this.refCount(m.Name) === 0)),
      )
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
      .map((m) => this.view(m));
  }

  /** `DELETE /volumes/{name}`: refused while a container references it; `force` ignores a missing volume. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const m = this.volumes.get(name);
    if (!m) {
      if (opts.force) return;
      throw noSuchVolume(name);
    }
    const users = [...(this.refs.get(name) ?? [])];
    if (users.length > 0) throw conflict('volume.in_use', `remove ${name}: volume is in use - [${users.join(' ')}]`);
    this.removing.add(name);
    try {
      await this.serial(async () => {
        const dir = join(this.o.root, name);
        await unmountAll(this.dataDir(name));
        // Renamed first, so a crash mid-removal never leaves a half-deleted volume that looks whole.
        const trash = join(this.o.root, `.removing-${name}-${newHexId(this.o.random).slice(0, 8)}`);
        renameSync(dir, trash);
        this.volumes.delete(name);
        rmSync(trash, { recursive: true, force: true });
      });
    } finally {
      this.removing.delete(name);
    }
    this.log.info({ name }, 'volume removed');
  }

  /** `POST /volumes/prune`: unused anonymous volumes, or every unused volume with `all=true`; `label`/`label!`. */
  async prune(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    filters.validate(PRUNE_FILTERS);
    const all = filters.bool('all', false);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const m of [...this.volumes.values()]) {
      if (this.refCount(m.Name) > 0) continue;
      const labels = m.Labels ?? {};
      if (!all && !(ANONYMOUS_LABEL in labels)) continue;
      if (!filters.matchLabels(labels)) continue;
      // moby: excluded when every `label!` value matches.
      if (filters.has('label!') && filters.matchLabels(labels, 'label!')) continue;
      const size = await du(this.dataDir(m.Name));
      try {
        await this.remove(m.Name);
      } catch (e) {
        this.log.warn({ name: m.Name, err: e instanceof Error ? e.message : String(e) }, 'pruning a volume failed');
        continue;
      }
      deleted.push(m.Name);
      reclaimed += size;
    }
    return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** Size and reference count of every volume (docker's `system df`). */
  async usage(): Promise<Volume[]> {
    const out: Volume[] = [];
    for (const m of this.volumes.values()) out.push({ ...this.view(m), UsageData: { Size: await du(this.dataDir(m.Name)), RefCount: this.refCount(m.Name) } });
    return out;
  }

  // ------------------------------------------------------------------ containers

  /**
   * Validates the volumes a container will use without changing anything: the names, the driver and the options of
   * volumes that do not exist yet.
   */
  check(uses: readonly VolumeUse[]): void {
    for (const u of uses) {
      const driver = u.driver === undefined || u.driver === '' ? 'local' : u.driver;
      if (this.volumes.has(u.name)) continue;
      if (driver !== 'local') throw notFound('volume.driver_unknown', `create ${u.name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      checkVolumeName(u.name);
      planVolumeMount(u.name, u.options);
    }
  }

  /** Creates the volumes a container names that do not exist yet, and records the container as their user. */
  reference(containerId: string, uses: readonly VolumeUse[]): void {
    this.check(uses);
    const made: string[] = [];
    try {
      for (const u of uses) {
        if (!this.volumes.has(u.name)) made.push(u.name);
        this.ensure(u);
      }
    } catch (e) {
      for (const n of made) {
        this.volumes.delete(n);
        rmSync(join(this.o.root, n), { recursive: true, force: true });
      }
      throw e;
    }
    for (const u of uses) {
      let s = this.refs.get(u.name);
      if (!s) this.refs.set(u.name, (s = new Set()));
      s.add(containerId);
    }
  }

  private namesOf(containerId: string): string[] {
    return [...this.refs.entries()].filter(([, s]) => s.has(containerId)).map(([n]) => n);
  }

  /** A running container adopted at load: its volumes are (still) mounted. */
  markActive(containerId: string): void {
    for (const n of this.namesOf(containerId)) {
      let s = this.active.get(n);
      if (!s) this.active.set(n, (s = new Set()));
      s.add(containerId);
    }
  }

  private async mountData(m: Meta): Promise<void> {
    const plan: VolumeMountPlan = planVolumeMount(m.Name, m.Options);
    const data = this.dataDir(m.Name);
    mkdirSync(data, { recursive: true, mode: 0o755 });
    if (plan.kind === 'directory' || (await isMountPoint(data))) return;
    const what = `error while mounting volume '${data}'`;
    if (plan.kind === 'tmpfs') await mountAt(data, { type: 'tmpfs', device: plan.device, options: plan.options }, what);
    else {
      if (!existsSync(plan.device)) throw invalidArgument('volume.device_missing', `${what}: failed to mount local volume: mount ${plan.device}:${data}, flags: bind: no such file or directory`);
      await mountAt(data, { device: plan.device, options: plan.options }, what);
    }
    this.log.info({ name: m.Name, kind: plan.kind }, 'volume mounted');
  }

  private async unmountIfIdle(name: string): Promise<void> {
    if ((this.active.get(name)?.size ?? 0) > 0) return;
    const m = this.volumes.get(name);
    if (!m || planVolumeMount(name, m.Options).kind === 'directory') return;
    if (!(await isMountPoint(this.dataDir(name)))) return;
    await unmountAll(this.dataDir(name));
    this.log.info({ name }, 'volume unmounted');
  }

  /** The container starts: mounts its tmpfs and bind volumes that are not mounted yet. */
  activate(containerId: string): Promise<void> {
    return this.serial(async () => {
      for (const n of this.namesOf(containerId)) {
        const m = this.get(n);
        await this.mountData(m);
        let s = this.active.get(n);
        if (!s) this.active.set(n, (s = new Set()));
        s.add(containerId);
      }
    });
  }

  /** The container stopped: unmounts its volumes no running container uses any more. */
  deactivate(containerId: string): Promise<void> {
    return this.serial(async () => {
      for (const n of this.namesOf(containerId)) {
        this.active.get(n)?.delete(containerId);
        await this.unmountIfIdle(n);
      }
    });
  }

  /** The container is removed: drops its references, and with `removeAnonymous` its anonymous volumes no one else uses. */
  async release(containerId: string, opts: { removeAnonymous: boolean }): Promise<void> {
    const names = this.namesOf(containerId);
    await this.deactivate(containerId);
    for (const n of names) this.refs.get(n)?.delete(containerId);
    if (!opts.removeAnonymous) return;
    for (const n of names) {
      const m = this.volumes.get(n);
      if (!m || !(ANONYMOUS_LABEL in (m.Labels ?? {})) || this.refCount(n) > 0) continue;
      await this.remove(n).catch((e: unknown) => this.log.warn({ name: n, err: e instanceof Error ? e.message : String(e) }, 'removing an anonymous volume failed'));
    }
  }

  /** After load: unmounts the volumes no running container uses (their containers exited while the daemon was down). */
  settle(): Promise<void> {
    return this.serial(async () => {
      for (const n of this.volumes.keys()) await this.unmountIfIdle(n).catch((e: unknown) => this.log.warn({ name: n, err: e }, 'unmounting an idle volume failed'));
    });
  }
}
