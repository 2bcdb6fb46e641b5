/**
 * What bench/cluster polls and sends, the same on Shoal and on Docker: a cluster's tasks and nodes through the
 * manager's docker-compatible socket (the requests `service ps` and `node ls` send), a node's own containers of a
 * service through that node's socket (what `docker ps --filter label=…` sends), a node's swarm node ID (`GET /info`),
 * a container's address on a network, and one bounded HTTP GET from this process (the root netns).
 */
import { request as httpRequest } from 'node:http';
import { apiGet, containersWithLabel } from './stack-probes.js';

export interface TaskRow {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string };
}

/** Running tasks of a service (current and desired state `running`), counted per node ID. */
export async function runningByNode(managerSocket: string, serviceId: string): Promise<Map<string, number>> {
  const tasks = await apiGet<TaskRow[]>(managerSocket, '/tasks');
  const out = new Map<string, number>();
  for (const t of tasks) {
    if (t.ServiceID !== serviceId || t.Status?.State !== 'running' || t.DesiredState !== 'running') continue;
    const node = t.NodeID ?? '';
    out.set(node, (out.get(node) ?? 0) + 1);
  }
  return out;
}

/** `Status.State` per node ID (`ready`, `down`, …). */
export async function nodeStates(managerSocket: string): Promise<Map<string, string>> {
  const nodes = await apiGet<{ ID: string; Status?: { State?: string } }[]>(managerSocket, '/nodes');
  return new Map(nodes.map((n) => [n.ID, n.Status?.State ?? '?']));
}

/** The swarm node ID the engine behind `socket` runs as. */
export async function swarmNodeId(socket: string): Promise<string> {
  const info = await apiGet<{ Swarm?: { NodeID?: string } }>(socket, '/info');
  const id = info.Swarm?.NodeID ?? '';
  if (id === '') throw new Error(`the engine on ${socket} is not in a swarm (GET /info has no Swarm.NodeID)`);
  return id;
}

/** A node's own containers of a service (any state), through that node's socket. */
export async function serviceContainers(socket: string, serviceId: string): Promise<{ id: string; running: boolean }[]> {
  const rows = await containersWithLabel(socket, `com.docker.swarm.service.id=${serviceId}`);
  return rows.map((r) => ({ id: r.Id, running: r.State === 'running' }));
}

/** A container's IPv4 address on a network (by the network's name), from `GET /containers/{id}/json`. */
export async function containerAddr(socket: string, id: string, network: string): Promise<string> {
  const c = await apiGet<{ NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }>(socket, `/containers/${id}/json`);
  const addr = c.NetworkSettings?.Networks?.[network]?.IPAddress ?? '';
  if (addr === '') throw new Error(`container ${id.slice(0, 12)} has no address on ${network} (networks: ${Object.keys(c.NetworkSettings?.Networks ?? {}).join(', ') || 'none'})`);
  return addr;
}

/** One `GET url` from this process: the body, or why it failed (refused, timed out, a non-200 answer). */
export function httpGet(url: string, timeoutMs: number): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? { ok: true, body } : { ok: false, error: `HTTP ${res.statusCode ?? '?'}` }));
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
    req.end();
  });
}
