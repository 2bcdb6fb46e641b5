import { invalidArgument, messages, notFound, unavailable } from '../../api/errors.js';
import type { ShoalError } from '../../api/errors.js';
import { fixedTimestamp } from '../frames.js';
import type { ApiRequest } from '../request.js';
import type { ApiResponse } from '../response.js';
import type { Router } from '../router.js';
import type { EngineBackend, ServiceBackend, SwarmLogsOptions, TaskLogLine } from './backend.js';

const notManager = (): ShoalError => unavailable('swarm.not_manager', messages.notManager);

/**
 * `/services/*` (docs/docker-engine-api.md §2-§5): create (201 `{ID, Warnings}`), list (`filters`, `status` at API ≥
 * 1.41), inspect (`insertDefaults`), update (`version`, `rollback`, `registryAuthFrom`; `{Warnings}`), remove (200)
 * and logs.
 */
export function serviceRoutes(router: Router, b: Pick<EngineBackend, 'services'>): void {
  const svc = (): ServiceBackend => {
    if (b.services === undefined) throw notManager();
    return b.services;
  };
  router.post('/services/create', async (req, res) => {
    const spec = await req.json();
    const r = await svc().create(spec, { registryAuth: req.header('x-registry-auth') });
    res.json(201, { ID: r.ID, Warnings: warnings(r.Warnings) });
  });
  router.get('/services', async (req, res) => {
    const status = req.versionAtLeast('1.41') && parseBoolParam(req, 'status');
    res.json(200, await svc().list({ filters: req.filters(), status }));
  });
  router.get('/services/{id}', async (req, res) => {
    res.json(200, await svc().inspect(req.param('id'), { insertDefaults: parseBoolParam(req, 'insertDefaults') }));
  });
  router.post('/services/{id}/update', async (req, res) => {
    const version = req.queryRequiredUint('version');
    const rollback = rollbackParam(req);
    const registryAuthFrom = registryAuthFromParam(req);
    const spec = await req.json();
    const r = await svc().update(req.param('id'), { version, spec, rollback, registryAuthFrom, registryAuth: req.header('x-registry-auth') });
    res.json(200, { Warnings: warnings(r.Warnings) });
  });
  router.delete('/services/{id}', async (req, res) => {
    await svc().remove(req.param('id'));
    res.empty(200);
  });
  router.get('/services/{id}/logs', async (req, res) => {
    const opts = logsOptions(req);
    const s = await svc().inspect(req.param('id'), { insertDefaults: false });
    const tty = s.Spec.TaskTemplate.ContainerSpec?.TTY === true;
    await writeSwarmLogs(req, res, tty, opts, await svc().logs(s.ID, opts, req.signal));
  });
}

/**
 * `GET /distribution/{name}/json`: the docker CLI asks it before every create and image-changing update to pin the
 * image's digest, and goes on without a digest (with a warning) when it fails. Without a registry backend the answer
 * is an immediate 404, so the CLI never waits on a registry Shoal cannot reach.
 */
export function distributionRoutes(router: Router, b: Pick<EngineBackend, 'distribution'>): void {
  router.get('/distribution/{name*}/json', async (req, res) => {
    const name = req.param('name');
    if (b.distribution === undefined) {
      throw notFound('distribution.unavailable', `no such image: ${name}: no registry to look it up in`);
    }
    res.json(200, await b.distribution.inspect(name, req.header('x-registry-auth'), req.signal));
  });
}

/** dockerd reads `status` and `insertDefaults` with Go's `strconv.ParseBool`: empty is false, junk is a 400. */
function parseBoolParam(req: ApiRequest, name: string): boolean {
  const v = req.queryString(name) ?? '';
  if (v === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw invalidArgument('request.bad_query', `invalid value for ${name}: ${v}: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** dockerd answers `"Warnings": null` when there are none. */
function warnings(w: readonly string[]): readonly string[] | null {
  return w.length === 0 ? null : w;
}

function rollbackParam(req: ApiRequest): boolean {
  const v = req.queryString('rollback') ?? '';
  if (v === '' || v === 'none') return false;
  if (v === 'previous') return true;
  throw invalidArgument('service.bad_rollback', `unrecognized rollback option ${v}`);
}

function registryAuthFromParam(req: ApiRequest): 'spec' | 'previous-spec' {
  const v = req.queryString('registryAuthFrom') ?? '';
  if (v === '' || v === 'spec') return 'spec';
  if (v === 'previous-spec') return 'previous-spec';
  throw invalidArgument('service.bad_registry_auth_from', 'unsupported registryAuthFrom value');
}

// ------------------------------------------------------------------ logs (shared with /tasks/{id}/logs)

/** The query of a swarm logs request, checked before anything is sent (errors must precede the 200). */
export function logsOptions(req: ApiRequest): SwarmLogsOptions & { timestamps: boolean } {
  const stdout = req.queryBool('stdout');
  const stderr = req.queryBool('stderr');
  if (!stdout && !stderr) throw invalidArgument('logs.no_streams', 'Bad parameters: you must choose at least one stream');
  return {
    stdout,
    stderr,
    follow: req.queryBool('follow'),
    timestamps: req.queryBool('timestamps'),
    details: req.queryBool('details'),
    since: sinceParam(req),
    tail: tailParam(req),
  };
}

/** dockerd's `tail` for swarm logs: `all` or empty = everything; otherwise a non-negative integer. */
function tailParam(req: ApiRequest): number | undefined {
  const v = req.queryString('tail') ?? '';
  if (v === '' || v === 'all') return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw invalidArgument('logs.bad_tail', 'tail value must be a positive integer or "all"');
  const n = Number(v);
  if (n < 0) throw invalidArgument('logs.bad_tail', 'negative tail values not supported');
  return n;
}

/** `since` as the CLI sends it: unix seconds with an optional fraction (`1700000000.123456789`). */
function sinceParam(req: ApiRequest): number {
  const v = req.queryString('since') ?? '';
  if (v === '') return 0;
  if (!/^-?\d+(\.\d{1,9})?$/.test(v)) {
    throw invalidArgument('logs.bad_since', `could not parse since timestamp: failed to parse value as time or duration: ${JSON.stringify(v)}`);
  }
  return Number(v);
}

/** Go's `url.QueryEscape`: everything but letters, digits and `-_.~` is %-escaped, and a space becomes `+`. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The payload of one log frame (dockerd `WriteLogStream`): `[<timestamp> ][<details> ]<text>\n`, where details are
 * the line's attributes plus `com.docker.swarm.{node,service,task}.id`, sorted by key, each `key=value` query-escaped,
 * joined by commas. The docker CLI's `service logs` parses exactly this, one line per frame.
 */
export function formatLogLine(l: TaskLogLine, opts: { timestamps: boolean; details: boolean }): string {
  let line = `${l.text}\n`;
  if (opts.details) {
    const attrs: Record<string, string> = { ...(l.attrs ?? {}) };
    attrs['com.docker.swarm.node.id'] = l.nodeId;
    attrs['com.docker.swarm.service.id'] = l.serviceId;
    attrs['com.docker.swarm.task.id'] = l.taskId;
    const details = Object.keys(attrs)
      .sort()
      .map((k) => `${queryEscape(k)}=${queryEscape(attrs[k] ?? '')}`)
      .join(',');
    line = `${details} ${line}`;
  }
  return opts.timestamps ? `${fixedTimestamp(l.time)} ${line}` : line;
}

/**
 * Streams log lines as dockerd does: a 200 with the multiplexed-stream content type (raw for TTY services or API <
 * 1.42), one frame per line, flushed as it comes; an error while streaming becomes a systemerr frame
 * `Error grabbing logs: ...` (the CLI reports it), then the stream ends.
 */
export async function writeSwarmLogs(
  req: ApiRequest,
  res: ApiResponse,
  tty: boolean,
  opts: SwarmLogsOptions & { timestamps: boolean },
  lines: AsyncIterable<TaskLogLine>,
): Promise<void> {
  const out = res.logStream({ tty });
  try {
    for await (const l of lines) {
      if (l.stream === 'stdout' ? !opts.stdout : !opts.stderr) continue;
      await out.writeFrame(l.stream === 'stdout' ? 1 : 2, formatLogLine(l, opts));
    }
  } catch (e) {
    if (!out.closed && !req.signal.aborted) {
      const message = e instanceof Error ? e.message : String(e);
      await out.writeFrame(3, `Error grabbing logs: ${message}\n`).catch(() => undefined);
    }
  } finally {
    out.end();
  }
}
