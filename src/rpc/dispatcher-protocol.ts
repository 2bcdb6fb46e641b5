/**
 * The manager ↔ agent dispatcher protocol (docs/design/services.md "Manager ↔ agent"): paths, messages and the
 * checks the dispatcher runs on what agents send. Every call acts for the node named by the caller's certificate,
 * never by the body.
 *
 * | call | request | reply |
 * |---|---|---|
 * | `POST /dispatcher/session` | `{description: NodeDescription}` | NDJSON stream of `SessionMessage` (first at once, then on change) |
 * | `POST /dispatcher/heartbeat` | `{sessionId}` | `{periodMs}` |
 * | `POST /dispatcher/assignments` | `{sessionId}` | NDJSON stream: one `complete` set, then `incremental` changes and `networks` views |
 * | `POST /dispatcher/status` | `{sessionId, updates: [{taskId, status: TaskStatus}]}` | `{}` once written |
 */
import type { NodeNetworkView } from '../api/network-view.js';
import type { NodeDescription, Task, TaskStatus } from '../api/types.js';
import { isTaskState } from '../api/task-state.js';
import { array, number, object, optionalNumber, optionalString, string, type Json } from './decode.js';
import { rpcErrors } from './errors.js';

export const dispatcherPaths = {
  session: '/dispatcher/session',
  heartbeat: '/dispatcher/heartbeat',
  assignments: '/dispatcher/assignments',
  status: '/dispatcher/status',
} as const;

export interface SessionRequest {
  description: NodeDescription;
}

/** Sent when the session opens, and again whenever the manager list changes. */
export interface SessionMessage {
  sessionId: string;
  heartbeatPeriodMs: number;
  /** The managers' swarm addresses (`host:port`) an agent may fail over to. */
  managers: string[];
}

export interface HeartbeatRequest {
  sessionId: string;
}

export interface HeartbeatResponse {
  /** When to send the next heartbeat. Missing 3 periods marks the node down. */
  periodMs: number;
}

export interface AssignmentsRequest {
  sessionId: string;
}

export interface AssignmentChange {
  action: 'update' | 'remove';
  /** For `remove`, the task as last seen. */
  task: Task;
}

/**
 * The tasks assigned to the node: those with its NodeID and `Status.State ≥ assigned` until they are deleted.
 * `complete` replaces everything the agent knew; `incremental` changes it. Status-only changes made by the agent's
 * own reports are not echoed back.
 */
export type AssignmentMessage =
  | { type: 'complete'; tasks: Task[] }
  | { type: 'incremental'; changes: AssignmentChange[] }
  /** The node's network view (docs/design/networking.md): after the first `complete`, then whenever it changes. */
  | { type: 'networks'; view: NodeNetworkView };

/** Secret and config data a task needs, added by the dispatcher to the tasks it sends (never stored). */
export interface TaskPayloads {
  Secrets: { ID: string; Data: string }[];
  Configs: { ID: string; Data: string }[];
}

export interface TaskStatusUpdate {
  taskId: string;
  status: TaskStatus;
}

export interface StatusRequest {
  sessionId: string;
  updates: TaskStatusUpdate[];
}

export type StatusResponse = Record<string, never>;

// ---------------------------------------------------------------- checks (manager side)

function sessionIdOf(body: unknown, what: string): { o: Json; sessionId: string } {
  const o = object(body, what);
  return { o, sessionId: string(o, 'sessionId', what) };
}

export function decodeSessionRequest(body: unknown): SessionRequest {
  const o = object(body, 'session request');
  return { description: decodeNodeDescription(o['description']) };
}

export function decodeHeartbeatRequest(body: unknown): HeartbeatRequest {
  return { sessionId: sessionIdOf(body, 'heartbeat request').sessionId };
}

export function decodeAssignmentsRequest(body: unknown): AssignmentsRequest {
  return { sessionId: sessionIdOf(body, 'assignments request').sessionId };
}

export function decodeStatusRequest(body: unknown): StatusRequest {
  const { o, sessionId } = sessionIdOf(body, 'status request');
  const updates = array(o, 'updates', 'status request').map((u, i) => {
    const what = `updates[${i}]`;
    const uo = object(u, what);
    return { taskId: string(uo, 'taskId', what), status: decodeTaskStatus(uo['status'], `${what}.status`) };
  });
  return { sessionId, updates };
}

/** A NodeDescription with the fields the managers read; unknown extra fields pass through. */
export function decodeNodeDescription(value: unknown): NodeDescription {
  const what = 'description';
  const o = object(value, what);
  string(o, 'Hostname', what);
  const platform = object(o['Platform'], `${what}.Platform`);
  string(platform, 'Architecture', `${what}.Platform`);
  string(platform, 'OS', `${what}.Platform`);
  const resources = object(o['Resources'], `${what}.Resources`);
  number(resources, 'NanoCPUs', `${what}.Resources`);
  number(resources, 'MemoryBytes', `${what}.Resources`);
  const engine = object(o['Engine'], `${what}.Engine`);
  string(engine, 'EngineVersion', `${what}.Engine`);
  if (engine['Labels'] !== undefined) stringMap(engine['Labels'], `${what}.Engine.Labels`);
  array(engine, 'Plugins', `${what}.Engine`);
  object(o['TLSInfo'], `${what}.TLSInfo`);
  return o as unknown as NodeDescription;
}

function stringMap(value: unknown, what: string): void {
  const o = object(value, what);
  for (const k of Object.keys(o)) string(o, k, what);
}

/** A TaskStatus as an agent reports it: a known state name, a timestamp, a message, optional details. */
export function decodeTaskStatus(value: unknown, what: string): TaskStatus {
  const o = object(value, what);
  const state = string(o, 'State', what);
  if (!isTaskState(state)) throw rpcErrors.badRequest(`${what}.State: unknown task state ${JSON.stringify(state)}`);
  const timestamp = string(o, 'Timestamp', what);
  if (Number.isNaN(Date.parse(timestamp))) throw rpcErrors.badRequest(`${what}.Timestamp: not a time`);
  const status: TaskStatus = { Timestamp: timestamp, State: state, Message: string(o, 'Message', what) };
  const err = optionalString(o, 'Err', what);
  if (err !== undefined) status.Err = err;
  if (o['ContainerStatus'] !== undefined) {
    const w = `${what}.ContainerStatus`;
    const c = object(o['ContainerStatus'], w);
    const cs: NonNullable<TaskStatus['ContainerStatus']> = {};
    const id = optionalString(c, 'ContainerID', w);
    const pid = optionalNumber(c, 'PID', w);
    const exit = optionalNumber(c, 'ExitCode', w);
    if (id !== undefined) cs.ContainerID = id;
    if (pid !== undefined) cs.PID = pid;
    if (exit !== undefined) cs.ExitCode = exit;
    status.ContainerStatus = cs;
  }
  if (o['PortStatus'] !== undefined) {
    const w = `${what}.PortStatus`;
    const p = object(o['PortStatus'], w);
    if (p['Ports'] === undefined) status.PortStatus = {};
    else {
      const ports = array(p, 'Ports', w).map((port, i) => {
        const pw = `${w}.Ports[${i}]`;
        const po = object(port, pw);
        number(po, 'TargetPort', pw);
        optionalNumber(po, 'PublishedPort', pw);
        optionalString(po, 'Protocol', pw);
        optionalString(po, 'PublishMode', pw);
        optionalString(po, 'Name', pw);
        return po as unknown as NonNullable<NonNullable<TaskStatus['PortStatus']>['Ports']>[number];
      });
      status.PortStatus = { Ports: ports };
    }
  }
  return status;
}

// ---------------------------------------------------------------- checks (agent side)

export function decodeSessionMessage(value: unknown): SessionMessage {
  const what = 'session message';
  const o = object(value, what);
  const managers = array(o, 'managers', what).filter((m): m is string => typeof m === 'string');
  return { sessionId: string(o, 'sessionId', what), heartbeatPeriodMs: number(o, 'heartbeatPeriodMs', what), managers };
}

export function decodeHeartbeatResponse(value: unknown): HeartbeatResponse {
  return { periodMs: number(object(value, 'heartbeat response'), 'periodMs', 'heartbeat response') };
}

/** Checks the envelope; the tasks themselves come from a manager the TLS handshake authenticated. */
export function decodeAssignmentMessage(value: unknown): AssignmentMessage {
  const what = 'assignment message';
  const o = object(value, what);
  const type = string(o, 'type', what);
  if (type === 'complete') {
    return { type, tasks: array(o, 'tasks', what).map((t, i) => decodeTask(t, `${what}.tasks[${i}]`)) };
  }
  if (type === 'incremental') {
    const changes = array(o, 'changes', what).map((c, i) => {
      const w = `${what}.changes[${i}]`;
      const co = object(c, w);
      const action = string(co, 'action', w);
      if (action !== 'update' && action !== 'remove') throw rpcErrors.badRequest(`${w}.action: unknown ${action}`);
      return { action, task: decodeTask(co['task'], `${w}.task`) } satisfies AssignmentChange;
    });
    return { type, changes };
  }
  if (type === 'networks') {
    const view = object(o['view'], `${what}.view`);
    const networks = array(view, 'networks', `${what}.view`);
    networks.forEach((n, i) => {
      const w = `${what}.view.networks[${i}]`;
      const no = object(n, w);
      object(no['network'], `${w}.network`);
      array(no, 'services', w).forEach((s, j) => {
        const so = object(s, `${w}.services[${j}]`);
        string(so, 'id', `${w}.services[${j}]`);
        string(so, 'name', `${w}.services[${j}]`);
        array(so, 'tasks', `${w}.services[${j}]`);
      });
    });
    return { type, view: view as unknown as NodeNetworkView };
  }
  throw rpcErrors.badRequest(`${what}.type: unknown ${JSON.stringify(type)}`);
}

function decodeTask(value: unknown, what: string): Task {
  const o = object(value, what);
  string(o, 'ID', what);
  object(o['Status'], `${what}.Status`);
  return o as unknown as Task;
}
