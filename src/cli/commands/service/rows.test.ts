/** `service ls` and `service ps` output, golden strings from the docker CLI's own formatter tests and behaviour. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task } from '../../../client/service-types.js';
import { renderList } from '../../format/index.js';
import { DEFAULT_SERVICE_TABLE, DEFAULT_TASK_TABLE, SERVICE_HEADERS, SERVICE_RAW, SERVICE_RAW_QUIET, TASK_HEADERS, ellipsis, serviceRow, servicePorts, sortServices, sortTasks, taskName, taskRow } from './rows.js';

function svc(id: string, name: string, mode: Service['Spec']['Mode'], status: [number, number, number?], extra: Partial<Service> = {}, maxReplicas?: number): Service {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Name: name, Labels: {}, TaskTemplate: maxReplicas !== undefined ? { Placement: { MaxReplicas: maxReplicas } } : {}, Mode: mode },
    ServiceStatus: { RunningTasks: status[0], DesiredTasks: status[1], CompletedTasks: status[2] ?? 0 },
    ...extra,
  };
}

const services = (): Service[] => [
  svc('01_baz', 'baz', { Global: {} }, [1, 3], { Endpoint: { Ports: [{ PublishMode: 'ingress', PublishedPort: 80, TargetPort: 8080, Protocol: 'tcp' }] } }),
  svc('02_bar', 'bar', { Replicated: {} }, [2, 4], { Endpoint: { Ports: [{ PublishMode: 'ingress', PublishedPort: 80, TargetPort: 8090, Protocol: 'udp' }] } }),
  svc('03_qux10', 'qux10', { Replicated: {} }, [2, 3], {}, 1),
  svc('04_qux2', 'qux2', { Replicated: {} }, [3, 3], {}, 2),
  svc('05_job1', 'zarp1', { ReplicatedJob: { MaxConcurrent: 3, TotalCompletions: 10 } }, [2, 3, 5]),
  svc('06_job2', 'zarp2', { GlobalJob: {} }, [1, 1, 3]),
];

const list = (format: string | undefined, quiet = false): string =>
  renderList(sortServices(services()).map(serviceRow), {
    quiet,
    defaultTable: DEFAULT_SERVICE_TABLE,
    headers: SERVICE_HEADERS,
    raw: SERVICE_RAW,
    rawQuiet: SERVICE_RAW_QUIET,
    typeName: '*service.serviceContext',
    ...(format !== undefined ? { format } : {}),
  });

describe('service ls rows', () => {
  it('the default table: natural name order, modes, replicas with max per node and job completions', () => {
    assert.equal(
      list(undefined),
      `ID         NAME      MODE             REPLICAS               IMAGE     PORTS
02_bar     bar       replicated       2/4                              *:80->8090/udp
01_baz     baz       global           1/3                              *:80->8080/tcp
04_qux2    qux2      replicated       3/3 (max 2 per node)             
03_qux10   qux10     replicated       2/3 (max 1 per node)             
05_job1    zarp1     replicated job   2/3 (5/10 completed)             
06_job2    zarp2     global job       1/1 (3/4 completed)              
`,
    );
  });

  it('-q, custom tables, raw and json', () => {
    assert.equal(list(undefined, true), '02_bar\n01_baz\n04_qux2\n03_qux10\n05_job1\n06_job2\n');
    assert.equal(list('table {{.Name}}\t{{.Mode}}'), 'NAME      MODE\nbar       replicated\nbaz       global\nqux2      replicated\nqux10     replicated\nzarp1     replicated job\nzarp2     global job\n');
    assert.equal(list('raw', true), 'id: 02_bar\nid: 01_baz\nid: 04_qux2\nid: 03_qux10\nid: 05_job1\nid: 06_job2\n');
    assert.equal(list('raw').split('\n\n')[0], 'id: 02_bar\nname: bar\nmode: replicated\nreplicas: 2/4\nimage: \nports: *:80->8090/udp');
    assert.equal(list('{{json .}}').split('\n')[0], '{"ID":"02_bar","Image":"","Mode":"replicated","Name":"bar","Ports":"*:80-\\u003e8090/udp","Replicas":"2/4"}');
  });

  it('PORTS: ingress ports only, sorted, consecutive ranges merged (docker’s own example)', () => {
    const p = (proto: string, target: number, published: number) => ({ Protocol: proto, TargetPort: target, PublishedPort: published, PublishMode: 'ingress' });
    const ports = [
      p('tcp', 80, 81), p('tcp', 80, 80), p('tcp', 95, 95), p('tcp', 90, 90), p('tcp', 91, 91), p('tcp', 92, 92), p('tcp', 93, 93), p('tcp', 94, 94),
      p('udp', 95, 95), p('udp', 90, 90), p('udp', 96, 96), p('udp', 91, 91), p('udp', 92, 92), p('udp', 93, 93), p('udp', 94, 94),
      p('tcp', 60, 60), p('tcp', 61, 61), p('tcp', 61, 62), p('sctp', 97, 97), p('sctp', 98, 98),
    ];
    assert.equal(servicePorts(ports), '*:97-98->97-98/sctp, *:60-61->60-61/tcp, *:62->61/tcp, *:80-81->80/tcp, *:90-95->90-95/tcp, *:90-96->90-96/udp');
    assert.equal(servicePorts([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }]), '');
    assert.equal(servicePorts([{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }]), '*:8080->80/tcp');
  });

  it('IMAGE without its digest; a 25-character ID cut to 12', () => {
    const s = svc('abcdefghijklmnopqrstuvwxy', 'web', { Replicated: { Replicas: 3 } }, [3, 3]);
    s.Spec.TaskTemplate.ContainerSpec = { Image: 'nginx:alpine@sha256:' + 'a'.repeat(64) };
    assert.equal(
      renderList([serviceRow(s)], { defaultTable: DEFAULT_SERVICE_TABLE, headers: SERVICE_HEADERS }),
      'ID             NAME      MODE         REPLICAS   IMAGE          PORTS\nabcdefghijkl   web       replicated   3/3        nginx:alpine   \n',
    );
  });
});

// ---------------------------------------------------------------- ps

const NOW = Date.parse('2026-03-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

function task(id: string, slot: number, o: Partial<Task> & { state: string; desired: string; createdAgo: number; err?: string; node?: string }): Task {
  return {
    ID: id,
    CreatedAt: ago(o.createdAgo),
    ServiceID: 'svc1',
    Slot: slot,
    NodeID: o.node ?? 'node1',
    Spec: { ContainerSpec: { Image: 'busybox:latest@sha256:' + 'b'.repeat(64) } },
    Status: { Timestamp: ago(o.createdAgo - 5), State: o.state, Err: o.err ?? '', ...(o.Status ?? {}) },
    DesiredState: o.desired,
  };
}

function psTable(tasks: Task[], o: { trunc?: boolean; format?: string; quiet?: boolean } = {}): string {
  const named = sortTasks(tasks.map((t) => ({ task: t, name: taskName(t, 'web') })));
  let prev = '';
  const fmt = o.format ?? 'table';
  const indent = fmt.startsWith('table') && o.quiet !== true ? ' \\_ ' : '';
  const rows = named.map(({ task: t, name }) => {
    const display = name === prev ? indent + name : name;
    prev = name;
    return taskRow({ task: t, name: display, node: t.NodeID === '' ? '' : 'manager1', trunc: o.trunc ?? true, now: NOW });
  });
  return renderList(rows, { format: fmt, quiet: o.quiet === true, defaultTable: DEFAULT_TASK_TABLE, headers: TASK_HEADERS });
}

describe('service ps rows', () => {
  const tasks = (): Task[] => [
    task('t2new0000000aaaaaaaaaaaaa', 2, { state: 'running', desired: 'running', createdAgo: 65 }),
    task('t1old0000000aaaaaaaaaaaaa', 1, { state: 'failed', desired: 'shutdown', createdAgo: 600, err: 'task: non-zero exit (1): the program failed badly' }),
    task('t1new0000000aaaaaaaaaaaaa', 1, {
      state: 'running',
      desired: 'running',
      createdAgo: 120,
      Status: { PortStatus: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] } },
    }),
    task('t1mid0000000aaaaaaaaaaaaa', 1, { state: 'shutdown', desired: 'shutdown', createdAgo: 300 }),
    task('t3pend000000aaaaaaaaaaaaa', 3, { state: 'pending', desired: 'running', createdAgo: 2, node: '', err: 'no suitable node (insufficient resources on 1 node)' }),
  ];

  it('history rows indented ` \\_ ` under the current task, newest first; errors quoted and cut at 30', () => {
    assert.equal(
      psTable(tasks()),
      `ID             NAME        IMAGE            NODE       DESIRED STATE   CURRENT STATE                    ERROR                              PORTS
t1new0000000   web.1       busybox:latest   manager1   Running         Running about a minute ago                                          *:8080->80/tcp
t1mid0000000    \\_ web.1   busybox:latest   manager1   Shutdown        Shutdown 4 minutes ago                                              
t1old0000000    \\_ web.1   busybox:latest   manager1   Shutdown        Failed 9 minutes ago             "task: non-zero exit (1): the …"   
t2new0000000   web.2       busybox:latest   manager1   Running         Running about a minute ago                                          
t3pend000000   web.3       busybox:latest              Running         Pending less than a second ago   "no suitable node (insufficien…"   
`,
    );
  });

  it('--no-trunc keeps IDs, digests and errors whole; a custom format has no indentation; -q prints full IDs', () => {
    const out = psTable(tasks(), { trunc: false });
    assert.ok(out.includes('t1old0000000aaaaaaaaaaaaa    \\_ web.1   busybox:latest@sha256:' + 'b'.repeat(64)));
    assert.ok(out.includes('"task: non-zero exit (1): the program failed badly"'));
    assert.equal(psTable(tasks(), { format: '{{.Name}} {{.CurrentState}}' }).split('\n')[1], 'web.1 Shutdown 4 minutes ago');
    assert.equal(psTable(tasks(), { quiet: true, trunc: false }), 't1new0000000aaaaaaaaaaaaa\nt1mid0000000aaaaaaaaaaaaa\nt1old0000000aaaaaaaaaaaaa\nt2new0000000aaaaaaaaaaaaa\nt3pend000000aaaaaaaaaaaaa\n');
  });

  it('a global task is named after its node; slots sort naturally (web.2 before web.10)', () => {
    const g = task('g1', 0, { state: 'running', desired: 'running', createdAgo: 10, node: 'n0de1d' });
    assert.equal(taskName(g, 'agent'), 'agent.n0de1d');
    const names = sortTasks([10, 2, 1].map((slot) => ({ task: task(`t${slot}`, slot, { state: 'running', desired: 'running', createdAgo: 1 }), name: `web.${slot}` }))).map((r) => r.name);
    assert.deepEqual(names, ['web.1', 'web.2', 'web.10']);
  });

  it('ellipsis counts display columns', () => {
    assert.equal(ellipsis('short', 30), 'short');
    assert.equal(ellipsis('abcdefghij', 5), 'abcd…');
    assert.equal(ellipsis('日本語テキスト', 5), '日本…');
  });
});
