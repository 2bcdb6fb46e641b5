/** The Engine-API container and image backends over the agent's ContainerService, ExecRegistry and ImageStore. */
import type { Filters } from '../api/filters.js';
import { notFound } from '../api/errors.js';
import type { ExecProcess } from '../agent/exec/runtime.js';
import type { ExecRegistry } from '../agent/containers/execs.js';
import { readLogs } from '../agent/containers/logs.js';
import type { ContainerService } from '../agent/containers/service.js';
import type { ImageRecord, ImageStore, PullProgress } from '../agent/runtime/images/store-port.js';
import type { ContainerBackend, ImageBackend, ProcessStreams } from '../server/routes/backend.js';

function execStreams(p: ExecProcess): ProcessStreams {
  return {
    stdin: p.stdin,
    stdout: p.stdout,
    stderr: p.stderr,
    done: p.exited,
    resize: (r, c) => p.resize(r, c),
    close: () => undefined,
  };
}

export function containerBackend(svc: ContainerService, execs: ExecRegistry): ContainerBackend {
  return {
    create: (body, name) => svc.create(body, name),
    start: (ref) => svc.start(ref),
    stop: (ref, o) => svc.stop(ref, o),
    restart: async (ref, o) => {
      await svc.stop(ref, o);
      await svc.start(ref);
    },
    kill: (ref, signal) => svc.kill(ref, signal),
    wait: (ref, condition, signal) => svc.wait(ref, condition, signal),
    remove: (ref, o) => svc.remove(ref, o),
    inspect: (ref) => svc.inspect(ref),
    list: (o) => svc.list(o),
    logs: (ref, o, signal) => {
      const src = svc.logSource(ref);
      return { tty: src.tty, lines: readLogs(src.path, o, { running: src.running, signal }) };
    },
    attach: async (ref) => {
      const tty = svc.inspect(ref).Config.Tty === true;
      const a = await svc.attach(ref);
      const done = new Promise<void>((resolve) => {
        a.stdout.on('end', resolve);
        a.stdout.on('close', resolve);
      });
      return { tty, streams: { stdin: a.stdin, stdout: a.stdout, stderr: a.stderr, done, resize: (r, c) => a.resize(r, c), close: () => a.detach() } };
    },
    resize: async (ref, rows, cols) => svc.resize(ref, rows, cols),
    execCreate: (ref, body) => execs.create(ref, body),
    execStart: async (id) => {
      const tty = (execs.inspect(id).ProcessConfig as { tty: boolean }).tty;
      return { tty, streams: execStreams(await execs.start(id)) };
    },
    execResize: (id, r, c) => execs.resize(id, r, c),
    execInspect: (id) => execs.inspect(id),
  };
}

function shortTags(img: ImageRecord): string[] {
  return img.repoTags.map(familiar);
}

/** docker's "familiar" form: docker.io/library/busybox:latest → busybox:latest. */
export function familiar(ref: string): string {
  return ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

function imageSummary(img: ImageRecord, containers: number): Record<string, unknown> {
  return {
    Id: img.id,
    ParentId: '',
    RepoTags: shortTags(img),
    RepoDigests: img.repoDigests.map(familiar),
    Created: Math.floor(Date.parse(img.created) / 1000) || 0,
    Size: img.size,
    SharedSize: -1,
    Labels: img.config.Labels ?? null,
    Containers: containers,
  };
}

function imageInspect(img: ImageRecord): Record<string, unknown> {
  return {
    Id: img.id,
    RepoTags: shortTags(img),
    RepoDigests: img.repoDigests.map(familiar),
    Parent: '',
    Comment: '',
    Created: img.created,
    DockerVersion: '',
    Author: '',
    Config: img.config,
    Architecture: img.architecture,
    ...(img.variant ? { Variant: img.variant } : {}),
    Os: img.os,
    Size: img.size,
    GraphDriver: { Name: 'overlay', Data: null },
    RootFS: { Type: 'layers', Layers: img.diffIds },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

export function imageBackend(store: ImageStore, svc: ContainerService, tempDir: string): ImageBackend {
  const resolve = async (ref: string): Promise<ImageRecord> => {
    const img = await store.resolve(ref);
    if (!img) throw notFound('image.not_found', `No such image: ${ref}`);
    return img;
  };
  return {
    pull: async (ref, o) => {
      const img = await store.pull(ref, {
        insecure: o.insecure,
        signal: o.signal,
        onProgress: (p: PullProgress) =>
          o.onProgress({ status: p.status, id: p.id, ...(p.total !== undefined ? { progressDetail: { current: p.current ?? 0, total: p.total } } : { progressDetail: {} }) }),
        ...(o.auth && typeof o.auth === 'object' ? { auth: o.auth } : {}),
      });
      const digest = img.repoDigests[0]?.split('@')[1];
      return { id: img.id, name: familiar(img.repoTags[0] ?? ref), ...(digest ? { digest } : {}) };
    },
    load: async (tarPath) => {
      const loaded = await store.load(tarPath);
      return loaded.flatMap((img) => (img.repoTags.length > 0 ? shortTags(img) : [img.id]));
    },
    list: async (o: { all: boolean; filters: Filters; digests: boolean }) => {
      const f = o.filters;
      const imgs = await store.list();
      return imgs
        .filter((img) => f.matchLabels(img.config.Labels ?? {}))
        .filter((img) => !f.has('dangling') || (f.bool('dangling', false) ? img.repoTags.length === 0 : img.repoTags.length > 0))
        .filter((img) => !f.has('reference') || f.values('reference').some((r) => shortTags(img).some((t) => t === r || t.startsWith(`${r}:`))))
        .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
        .map((img) => imageSummary(img, svc.imageInUse(img.id) !== undefined ? 1 : 0));
    },
    inspect: async (ref) => imageInspect(await resolve(ref)),
    remove: (ref, o) => store.remove(ref, { force: o.force, inUse: (id) => svc.imageInUse(id) }),
    tag: async (ref, repo, tag) => {
      await store.tag(ref, `${repo}:${tag}`);
    },
    prune: async (filters) => {
      const all = filters.has('dangling') && !filters.bool('dangling', true);
      const r = await store.prune({ all, inUse: (id) => svc.imageInUse(id) });
      return { ImagesDeleted: r.deleted.length > 0 ? r.deleted : null, SpaceReclaimed: r.spaceReclaimed };
    },
    tempDir: () => tempDir,
  };
}
