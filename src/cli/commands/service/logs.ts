/**
 * `service logs [OPTIONS] SERVICE|TASK`, as the docker CLI runs it (cli/command/service/logs.go):
 * `GET /services/{ref}?insertDefaults=false` (a 404 falls back to `GET /tasks/{ref}` and the task's logs), then the
 * logs with `details=1` unless --raw. Non-TTY logs are demultiplexed; each frame is one line
 * `[timestamp ]details message`, printed as `svc.1.taskid@node    | message` (the slot padded to the width of the
 * replica count), the node, service and task resolved once each. --raw prints the frames as they are; a TTY service
 * needs --raw ("tty service logs only supported with --raw").
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { FrameDecoder } from '../../../client/hijack.js';
import { serviceInspect, serviceLogs, taskInspect, taskLogs } from '../../../client/services.js';
import type { ServiceLogsOptions } from '../../../client/service-types.js';
import { isShoalError } from '../../../api/errors.js';
import { ShoalError } from '../../../api/errors.js';
import type { CliContext, Output } from '../../context.js';
import { CliError } from '../../errors.js';
import { writeBytes } from '../container/bytes-out.js';
import { getTimestamp } from '../container/timestamps.js';
import { truncateID } from '../container/units.js';
import { processServiceHost } from './host.js';
import type { ServiceHost } from './host.js';
import { IDResolver } from './resolver.js';

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  timestamps?: boolean;
  details?: boolean;
  tail?: string;
  raw?: boolean;
  /** false with --no-resolve. */
  resolve?: boolean;
  /** false with --no-trunc. */
  trunc?: boolean;
  /** false with --no-task-ids. */
  taskIds?: boolean;
}

/** service/logs.ParseLogDetails: `k=v,k=v`, both sides query-unescaped. */
export function parseLogDetails(details: string): Map<string, string> {
  if (details === '') throw new CliError('invalid details format');
  const out = new Map<string, string>();
  for (const pair of details.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new CliError('invalid details format');
    out.set(queryUnescape(pair.slice(0, eq)), queryUnescape(pair.slice(eq + 1)));
  }
  return out;
}

function queryUnescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new CliError(`invalid URL escape "${s}"`);
  }
}

interface LogContext {
  nodeID: string;
  serviceID: string;
  taskID: string;
}

/** The prefix of one task's lines: `svc.slot.taskid@node` plus padding (cached per node/service/task). */
export class TaskFormatter {
  private readonly cache = new Map<string, string>();
  private readonly resolver: IDResolver;
  constructor(
    private readonly client: EngineClient,
    private readonly o: { noResolve: boolean; noTrunc: boolean; noTaskIds: boolean; padding: number },
  ) {
    this.resolver = new IDResolver(client, o.noResolve);
  }

  async format(c: LogContext): Promise<string> {
    const key = `${c.nodeID}\0${c.serviceID}\0${c.taskID}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const nodeName = await this.resolver.node(c.nodeID);
    const serviceName = await this.resolver.service(c.serviceID);
    const task = await taskInspect(this.client, c.taskID);
    const slot = task.Slot ?? 0;
    let name = `${serviceName}.${slot}`;
    if (!this.o.noTaskIds) name += '.' + (this.o.noTrunc ? task.ID : truncateID(task.ID));
    const pad = this.o.padding - String(slot).length;
    const formatted = `${name}@${nodeName}${pad > 0 ? ' '.repeat(pad) : ''}`;
    this.cache.set(key, formatted);
    return formatted;
  }
}

/** logWriter.Write: one frame (one line) → the prefixed line. */
export async function formatLogLine(line: Buffer, o: { timestamps: boolean; details: boolean }, formatter: TaskFormatter): Promise<Buffer> {
  const text = line.toString('utf8');
  const parts: string[] = [];
  let rest = text;
  const want = o.timestamps ? 3 : 2;
  while (parts.length < want - 1) {
    const sp = rest.indexOf(' ');
    if (sp < 0) break;
    parts.push(rest.slice(0, sp));
    rest = rest.slice(sp + 1);
  }
  parts.push(rest);
  if (parts.length !== want) throw new CliError(`invalid context in log message: ${text}`);
  const detailsIndex = o.timestamps ? 1 : 0;
  const details = parseLogDetails(parts[detailsIndex] as string);
  const take = (k: string, what: string): string => {
    const v = details.get(k);
    if (v === undefined) throw new CliError(`missing ${what} id in details: ${goMap(details)}`);
    details.delete(k);
    return v;
  };
  const ctx: LogContext = {
    nodeID: take('com.docker.swarm.node.id', 'node'),
    serviceID: take('com.docker.swarm.service.id', 'service'),
    taskID: take('com.docker.swarm.task.id', 'task'),
  };
  let out = '';
  if (o.timestamps) out += `${parts[0] as string} `;
  out += `${await formatter.format(ctx)}    | `;
  if (o.details) {
    const d = [...details].map(([k, v]) => `${k}=${v}`).sort();
    out += `${d.join(',')} `;
  }
  return Buffer.concat([Buffer.from(out, 'utf8'), Buffer.from(parts[detailsIndex + 1] as string, 'utf8')]);
}

function goMap(m: Map<string, string>): string {
  return `map[${[...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}

export async function run(ctx: CliContext, client: EngineClient, target: string, o: LogsOptions, host: ServiceHost = processServiceHost(), signal?: AbortSignal): Promise<void> {
  let tty: boolean;
  let maxLength = 1;
  let fetch: (opts: ServiceLogsOptions) => Promise<AsyncIterable<Buffer | string>>;
  try {
    const service = await serviceInspect(client, target, { insertDefaults: false });
    tty = service.Spec.TaskTemplate.ContainerSpec?.TTY === true;
    const replicas = service.Spec.Mode.Replicated?.Replicas;
    if (replicas !== undefined && replicas !== null) maxLength = String(replicas).length;
    fetch = (q) => serviceLogs(client, target, q, signal);
  } catch (e) {
    if (!isShoalError(e, 'NotFound')) throw e;
    let task;
    try {
      task = await taskInspect(client, target);
    } catch (e2) {
      if (isShoalError(e2, 'NotFound')) throw new CliError(`no such task or service: ${target}`);
      throw e2;
    }
    tty = task.Spec?.ContainerSpec?.TTY === true;
    maxLength = String(task.Slot ?? 0).length;
    fetch = (q) => taskLogs(client, target, q, signal);
  }
  const raw = o.raw === true;
  if (tty && !raw) throw new CliError('tty service logs only supported with --raw');
  let since = '';
  try {
    since = getTimestamp(o.since ?? '', host.now());
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const stream = await fetch({
    stdout: true,
    stderr: true,
    since,
    timestamps: o.timestamps === true,
    follow: o.follow === true,
    tail: o.tail ?? 'all',
    details: o.details === true || !raw,
  });
  if (tty) {
    for await (const chunk of stream) writeBytes(ctx.out, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return;
  }
  const formatter = raw
    ? undefined
    : new TaskFormatter(client, { noResolve: o.resolve === false, noTrunc: o.trunc === false, noTaskIds: o.taskIds === false, padding: maxLength });
  const write = async (out: Output, data: Buffer): Promise<void> => {
    if (formatter === undefined) writeBytes(out, data);
    else writeBytes(out, await formatLogLine(data, { timestamps: o.timestamps === true, details: o.details === true }, formatter));
  };
  const decoder = new FrameDecoder();
  for await (const raw of stream) {
    for (const f of decoder.push(typeof raw === 'string' ? Buffer.from(raw) : raw)) {
      switch (f.stream) {
        case 0:
        case 1:
          await write(ctx.out, f.data);
          break;
        case 2:
          await write(ctx.err, f.data);
          break;
        case 3:
          throw new ShoalError('Internal', 'client.stream_error', f.data.toString('utf8').trim());
      }
    }
  }
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('logs')
    .description('Fetch the logs of a service or task')
    .usage('[OPTIONS] SERVICE|TASK')
    .argument('<service|task>')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--no-resolve', 'Do not map IDs to Names in output')
    .option('--no-task-ids', 'Do not include task IDs in output')
    .option('--no-trunc', 'Do not truncate output')
    .option('--raw', 'Do not neatly format logs')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs (default "all")')
    .option('-t, --timestamps', 'Show timestamps')
    .action(async (target: string, o: LogsOptions) => run(ctx, await ctx.client(), target, o));
}
