/**
 * What bench/stack polls, through an engine's docker-compatible unix socket (the same requests the docker CLI's
 * `service ls`, `service ps` and `ps -a --filter label=…` send), so one poll means the same on Shoal and on Docker.
 */
import { request } from 'node:http';

/** `GET path` on the socket, parsed as JSON; rejects on a non-200 answer or after `timeoutMs`. */
export function apiGet<T>(socket: string, path: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${path}: ${res.statusCode ?? '?'} ${body.trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const filters = (f: Record<string, string[]>): string => encodeURIComponent(JSON.stringify(f));

export interface ServiceProgress {
  /** Tasks whose desired and current state are both `running`. */
  running: number;
  /** Tasks that ended `failed` or `rejected` so far (a deploy that cannot converge keeps making these). */
  failed: number;
  /** The last error a failed or rejected task reported. */
  lastError: string;
}

/** Per service of the stack (by name without the `<stack>_` prefix): what `service ps` would show. */
export async function stackProgress(socket: string, stack: string): Promise<Record<string, ServiceProgress>> {
  const services = await apiGet<{ ID: string; Spec: { Name: string } }[]>(socket, `/services?filters=${filters({ label: [`com.docker.stack.namespace=${stack}`] })}`);
  const out: Record<string, ServiceProgress> = {};
  const byId = new Map<string, ServiceProgress>();
  for (const s of services) {
    const p: ServiceProgress = { running: 0, failed: 0, lastError: '' };
    out[s.Spec.Name.startsWith(`${stack}_`) ? s.Spec.Name.slice(stack.length + 1) : s.Spec.Name] = p;
    byId.set(s.ID, p);
  }
  if (byId.size === 0) return out;
  const tasks = await apiGet<{ ServiceID: string; DesiredState?: string; Status?: { State?: string; Err?: string } }[]>(socket, '/tasks');
  for (const t of tasks) {
    const p = byId.get(t.ServiceID);
    if (p === undefined) continue;
    const state = t.Status?.State;
    if (state === 'running' && t.DesiredState === 'running') p.running++;
    if (state === 'failed' || state === 'rejected') {
      p.failed++;
      if (t.Status?.Err !== undefined && t.Status.Err !== '') p.lastError = t.Status.Err;
    }
  }
  return out;
}

export interface ContainerRow {
  Id: string;
  State?: string;
  Status?: string;
  Labels?: Record<string, string> | null;
}

/** `GET /containers/json?all=1` filtered on a label (`key=value`). */
export function containersWithLabel(socket: string, label: string): Promise<ContainerRow[]> {
  return apiGet<ContainerRow[]>(socket, `/containers/json?all=1&filters=${filters({ label: [label] })}`);
}

export interface ComposeState {
  /** Services with a running container (and healthy, for those in `healthy`). */
  ready: string[];
  /** Containers of the project, in any state. */
  total: number;
  /** One word per service, for messages: `db=running(health: starting)`. */
  summary: string;
}

/** The compose project's containers (label `com.docker.compose.project`), by service. */
export async function composeState(socket: string, project: string, healthy: readonly string[]): Promise<ComposeState> {
  const rows = await containersWithLabel(socket, `com.docker.compose.project=${project}`);
  const ready: string[] = [];
  const words: string[] = [];
  for (const c of rows) {
    const svc = c.Labels?.['com.docker.compose.service'] ?? '?';
    const status = c.Status ?? '';
    const health = /\((healthy|unhealthy|health: starting)\)/.exec(status)?.[1];
    words.push(`${svc}=${c.State ?? '?'}${health === undefined ? '' : `(${health})`}`);
    if (c.State === 'running' && (!healthy.includes(svc) || health === 'healthy')) ready.push(svc);
  }
  return { ready: ready.sort(), total: rows.length, summary: words.sort().join(' ') || 'none' };
}
