/**
 * What `shoal compose` asks of the daemon, over the Engine API like docker compose: the project's containers (by
 * label), its networks and volumes (created when missing, external ones checked), images (pulled when absent),
 * and waiting on container states (running, healthy, exited).
 */
import { isShoalError } from '../../../api/errors.js';
import type { ContainerSummary } from '../../../client/container-types.js';
import { containerInspect, containerList } from '../../../client/containers.js';
import { imageInspect } from '../../../client/images.js';
import { networkCreate, networkGet, type EngineClient, type NetworkCreateRequest } from '../../../client/index.js';
import { volumeCreate, volumeInspect } from '../../../client/volumes.js';
import {
  LABEL_NUMBER,
  LABEL_ONEOFF,
  LABEL_PROJECT,
  LABEL_SERVICE,
  networkCreateBody,
  volumeCreateBody,
} from '../../../compose/model/compose-plan.js';
import type { ComposeProject } from '../../../compose/model/types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { parseNormalizedNamed } from '../image/reference.js';
import { pullImage } from '../image/pull-image.js';
import type { Progress } from './progress.js';

export const nameOf = (c: ContainerSummary): string => (c.Names?.[0] ?? c.Id).replace(/^\//, '');
export const serviceOf = (c: ContainerSummary): string => c.Labels?.[LABEL_SERVICE] ?? '';
export const numberOf = (c: ContainerSummary): number => Number(c.Labels?.[LABEL_NUMBER] ?? '0');

/** The project's containers (one-off ones excluded), sorted by name; `services` narrows to those services. */
export async function projectContainers(client: EngineClient, project: string, o: { all?: boolean; services?: readonly string[] } = {}): Promise<ContainerSummary[]> {
  const list = await containerList(client, { all: o.all !== false, filters: { label: { [`${LABEL_PROJECT}=${project}`]: true } } });
  return list
    .filter((c) => c.Labels?.[LABEL_ONEOFF] !== 'True')
    .filter((c) => o.services === undefined || o.services.length === 0 || o.services.includes(serviceOf(c)))
    .sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
}

/** Refuses SERVICE arguments the project does not define. */
export function checkServices(project: ComposeProject | undefined, services: readonly string[]): void {
  if (project === undefined) return;
  for (const s of services) if (project.services[s] === undefined) throw new CliError(`no such service: ${s}`);
}

const isNotFound = (e: unknown): boolean => isShoalError(e, 'NotFound');

/** Creates the project's missing networks; external ones must exist. */
export async function ensureNetworks(client: EngineClient, project: ComposeProject, progress: Progress): Promise<void> {
  for (const key of Object.keys(project.networks).sort()) {
    const n = project.networks[key];
    if (n === undefined) continue;
    if (n.external) {
      try {
        await networkGet(client, n.name);
      } catch (e) {
        if (isNotFound(e)) throw new CliError(`network ${n.name} declared as external, but could not be found`);
        throw e;
      }
      continue;
    }
    try {
      const existing = await networkGet(client, n.name);
      if (existing.Labels?.[LABEL_PROJECT] !== project.name) {
        progress.warn(`a network with name ${n.name} exists but was not created for project "${project.name}". Set \`external: true\` to use an existing network`);
      }
      continue;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const body = networkCreateBody(project, key);
    const req: NetworkCreateRequest = {
      Name: body.Name,
      Driver: body.Driver,
      Scope: '',
      IPAM: body.IPAM !== undefined ? { Driver: body.IPAM.Driver, Options: {}, Config: body.IPAM.Config } : null,
      Internal: body.Internal,
      Attachable: body.Attachable,
      Ingress: false,
      ConfigOnly: false,
      ConfigFrom: null,
      Options: body.Options,
      Labels: body.Labels,
    };
    try {
      await networkCreate(client, req);
    } catch (e) {
      progress.failed('Network', n.name, 'Error');
      throw e;
    }
    progress.done('Network', n.name, 'Created');
  }
}

/** Creates the project's missing volumes; external ones must exist. */
export async function ensureVolumes(client: EngineClient, project: ComposeProject, progress: Progress): Promise<void> {
  for (const key of Object.keys(project.volumes).sort()) {
    const v = project.volumes[key];
    if (v === undefined) continue;
    try {
      await volumeInspect(client, v.name);
      continue;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (v.external) throw new CliError(`external volume "${v.name}" not found`);
    }
    await volumeCreate(client, volumeCreateBody(project, key));
    progress.done('Volume', v.name, 'Created');
  }
}

const pullFailed = (service: string, image: string, e: unknown): string => `service "${service}": pulling image ${image} failed: ${e instanceof Error ? e.message : String(e)}`;

/** Pulls an image (progress drained), refusing with a message that names the service. */
export async function pull(ctx: CliContext, client: EngineClient, service: string, image: string): Promise<void> {
  try {
    await pullImage(client, parseNormalizedNamed(image), { env: ctx.env });
  } catch (e) {
    throw new CliError(pullFailed(service, image, e));
  }
}

/**
 * Pulls the images that are not there yet (`up`), each once. Every image is tried: one that cannot be pulled gets
 * ` ✘ Image <image>  Error`, and then `up` fails with one line per service that uses it, naming the service, the
 * image and the registry's reason (before any container is made, so a re-run after the fix starts clean).
 */
export async function ensureImages(ctx: CliContext, client: EngineClient, project: ComposeProject, services: readonly string[], progress: Progress): Promise<void> {
  const users = new Map<string, string[]>();
  for (const name of services) {
    const image = project.services[name]?.image;
    if (image !== undefined) users.set(image, [...(users.get(image) ?? []), name]);
  }
  const failures: string[] = [];
  for (const [image, names] of users) {
    try {
      await imageInspect(client, image);
      continue;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      await pullImage(client, parseNormalizedNamed(image), { env: ctx.env });
    } catch (e) {
      progress.failed('Image', image, 'Error');
      for (const n of names) failures.push(pullFailed(n, image, e));
      continue;
    }
    progress.done('Image', image, 'Pulled');
  }
  if (failures.length > 0) throw new CliError(failures.join('\n'));
}

export interface StateView {
  status: string;
  running: boolean;
  exitCode: number;
  health?: string;
  startedAt: string;
}

export async function stateOf(client: EngineClient, id: string): Promise<StateView> {
  const c = await containerInspect(client, id);
  const s = c.State as { Status: string; Running: boolean; ExitCode: number; StartedAt?: string; Health?: { Status?: string } | null };
  return {
    status: s.Status,
    running: s.Running,
    exitCode: s.ExitCode,
    ...(s.Health?.Status !== undefined ? { health: s.Health.Status } : {}),
    startedAt: s.StartedAt ?? '',
  };
}

export interface WaitOptions {
  /** Milliseconds; undefined waits as long as it takes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  pollMs?: number;
}

/** Polls a container until `done` says yes (true) or fails (a string: the error message). */
export async function waitFor(client: EngineClient, id: string, name: string, what: string, done: (s: StateView) => boolean | string, o: WaitOptions = {}): Promise<StateView> {
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  for (;;) {
    const s = await stateOf(client, id);
    const r = done(s);
    if (r === true) return s;
    if (typeof r === 'string') throw new CliError(r);
    if (o.signal?.aborted === true) throw new CliError(`interrupted while waiting for container ${name} to be ${what}`);
    if (Date.now() > deadline) throw new CliError(`timeout waiting for container ${name} to be ${what}`);
    await new Promise((res) => setTimeout(res, o.pollMs ?? 200));
  }
}

export function waitHealthy(client: EngineClient, id: string, name: string, o: WaitOptions = {}): Promise<StateView> {
  return waitFor(
    client,
    id,
    name,
    'healthy',
    (s) => {
      if (s.health === undefined || s.health === 'none') return `container ${name} has no healthcheck configured`;
      if (s.health === 'healthy') return true;
      if (s.health === 'unhealthy') return `dependency failed to start: container ${name} is unhealthy`;
      if (!s.running) return `dependency failed to start: container ${name} exited (${s.exitCode})`;
      return false;
    },
    o,
  );
}

export function waitCompleted(client: EngineClient, id: string, name: string, service: string, o: WaitOptions = {}): Promise<StateView> {
  return waitFor(
    client,
    id,
    name,
    'completed',
    (s) => {
      if (s.running || s.status === 'created' || s.status === 'restarting') return false;
      return s.exitCode === 0 ? true : `service "${service}" didn't complete successfully: exit ${s.exitCode}`;
    },
    o,
  );
}
