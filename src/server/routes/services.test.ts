/**
 * The service, task and distribution routes over a real server on a temp socket: raw HTTP against a fake backend
 * that records what it was asked and returns fixed objects (query parsing, statuses, log framing), then the real
 * docker CLI against a backend made of the control API on the memory store (the glue the daemon provides).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { outOfSequence } from '../../api/errors.js';
import type { Filters } from '../../api/filters.js';
import type { Service, Task } from '../../api/types.js';
import { captureLogger } from '../../lib/logger.js';
import { getNode } from '../../manager/controlapi/nodes.js';
import { createService, getService, listServices, removeService, updateService } from '../../manager/controlapi/services.js';
import { getTask, listTasks } from '../../manager/controlapi/tasks.js';
import { initializedControl } from '../../../test/builders/control.js';
import type { ControlHarness } from '../../../test/builders/control.js';
import { decodeFrames } from '../frames.js';
import { Router } from '../router.js';
import { startApiServer } from '../server.js';
import type { ApiServer } from '../server.js';
import type { EngineBackend, ServiceBackend, SwarmLogsOptions, TaskBackend, TaskLogLine } from './backend.js';
import { nodeRoutes } from './nodes.js';
import { fixedTimestamp } from '../frames.js';
import { distributionRoutes, formatLogLine, queryEscape, serviceRoutes } from './services.js';
import { taskRoutes } from './tasks.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}

function call(socketPath: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw.toString('utf8'), raw });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

type Backend = Pick<EngineBackend, 'services' | 'tasks' | 'distribution' | 'nodes'>;

async function serve(dir: string, backend: Backend): Promise<{ server: ApiServer; sock: string }> {
  const sock = join(dir, `api-${Math.random().toString(36).slice(2)}.sock`);
  const router = new Router();
  serviceRoutes(router, backend);
  taskRoutes(router, backend);
  distributionRoutes(router, backend);
  nodeRoutes(router, backend as EngineBackend);
  const server = await startApiServer({ router, logger: captureLogger(), engineVersion: '0.1.0', swarmHeader: () => 'active/manager', listen: [`unix://${sock}`] });
  return { server, sock };
}

async function* linesOf(lines: readonly TaskLogLine[], fail?: string): AsyncGenerator<TaskLogLine> {
  for (const l of lines) yield l;
  if (fail !== undefined) throw new Error(fail);
}

const SERVICE: Service = {
  ID: 's'.repeat(25),
  Version: { Index: 7 },
  CreatedAt: '2024-01-01T00:00:00Z',
  UpdatedAt: '2024-01-01T00:00:00Z',
  Spec: { Name: 'web', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'img:1' } }, Mode: { Replicated: { Replicas: 1 } } },
  Endpoint: { Spec: {} },
};

const TASK: Task = {
  ID: 't'.repeat(25),
  Version: { Index: 9 },
  CreatedAt: '2024-01-01T00:00:00Z',
  UpdatedAt: '2024-01-01T00:00:00Z',
  Labels: {},
  Spec: { ContainerSpec: { Image: 'img:1' } },
  ServiceID: SERVICE.ID,
  Slot: 1,
  NodeID: 'n'.repeat(25),
  Status: { Timestamp: '2024-01-01T00:00:00Z', State: 'running', Message: 'started' },
  DesiredState: 'running',
};

const LINES: TaskLogLine[] = [
  { nodeId: TASK.NodeID ?? '', serviceId: SERVICE.ID, taskId: TASK.ID, stream: 'stdout', time: '2024-01-02T03:04:05.5Z', text: 'hello' },
  { nodeId: TASK.NodeID ?? '', serviceId: SERVICE.ID, taskId: TASK.ID, stream: 'stderr', time: '2024-01-02T03:04:06Z', text: 'oops', attrs: { tag: 'a b' } },
];

describe('service and task routes (raw HTTP, fixed backend)', () => {
  let dir: string;
  let server: ApiServer;
  let sock: string;
  const calls: unknown[] = [];
  let tty = false;
  let failLogs: string | undefined;

  const services: ServiceBackend = {
    create: async (spec, opts) => (calls.push(['create', spec, opts]), { ID: SERVICE.ID, Warnings: [] }),
    list: async (opts) => (calls.push(['list', opts.filters.toJSON(), opts.status]), [SERVICE]),
    inspect: async (ref, opts) => (calls.push(['inspect', ref, opts]), { ...SERVICE, Spec: { ...SERVICE.Spec, TaskTemplate: { ContainerSpec: { Image: 'img:1', TTY: tty } } } }),
    update: async (ref, r) => {
      calls.push(['update', ref, r]);
      if (r.version === 1) throw outOfSequence();
      return { Warnings: ['careful'] };
    },
    remove: async (ref) => void calls.push(['remove', ref]),
    logs: async (id, opts) => (calls.push(['service-logs', id, opts]), linesOf(LINES, failLogs)),
  };
  const tasks: TaskBackend = {
    list: async (filters: Filters) => (calls.push(['tasks', filters.toJSON()]), [TASK]),
    inspect: async (ref) => (calls.push(['task', ref]), TASK),
    logs: async (id, opts: SwarmLogsOptions) => (calls.push(['task-logs', id, opts]), linesOf(LINES.slice(0, 1))),
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-svc-routes-'));
    ({ server, sock } = await serve(dir, { services, tasks, nodes: undefined as never }));
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const last = (): unknown => calls[calls.length - 1];

  it('POST /services/create → 201 {ID, Warnings:null}, with the registry auth header', async () => {
    const r = await call(sock, 'POST', '/v1.47/services/create', { headers: { 'Content-Type': 'application/json', 'X-Registry-Auth': 'e30=' }, body: '{"Name":"web"}' });
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body, `{"ID":"${SERVICE.ID}","Warnings":null}\n`);
    assert.deepEqual(last(), ['create', { Name: 'web' }, { registryAuth: 'e30=' }]);
  });

  it('GET /services passes filters, and status only at API ≥ 1.41', async () => {
    await call(sock, 'GET', `/v1.47/services?status=true&filters=${encodeURIComponent('{"label":{"a=b":true}}')}`);
    assert.deepEqual(last(), ['list', { label: { 'a=b': true } }, true]);
    await call(sock, 'GET', '/v1.40/services?status=1');
    assert.deepEqual(last(), ['list', {}, false]);
    const r = await call(sock, 'GET', '/v1.47/services?filters=%7Bbad');
    assert.equal(r.status, 400);
    const bad = await call(sock, 'GET', '/v1.47/services?status=yes');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, 'invalid value for status: yes: strconv.ParseBool: parsing "yes": invalid syntax');
  });

  it('GET /services/{id} passes insertDefaults', async () => {
    const r = await call(sock, 'GET', '/v1.47/services/web?insertDefaults=true');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as Service).ID, SERVICE.ID);
    assert.deepEqual(last(), ['inspect', 'web', { insertDefaults: true }]);
    await call(sock, 'GET', '/v1.47/services/web?insertDefaults=0');
    assert.deepEqual(last(), ['inspect', 'web', { insertDefaults: false }]);
  });

  it('POST /services/{id}/update passes version, rollback and registryAuthFrom; answers {Warnings}', async () => {
    const r = await call(sock, 'POST', '/v1.47/services/web/update?version=7&rollback=previous&registryAuthFrom=previous-spec', { headers: { 'Content-Type': 'application/json' }, body: '{"Name":"web"}' });
    assert.equal(r.status, 200);
    assert.equal(r.body, '{"Warnings":["careful"]}\n');
    assert.deepEqual(last(), ['update', 'web', { version: 7, spec: { Name: 'web' }, rollback: true, registryAuthFrom: 'previous-spec', registryAuth: undefined }]);
    await call(sock, 'POST', '/v1.47/services/web/update?version=8&rollback=none', { body: '{}' });
    assert.deepEqual(last(), ['update', 'web', { version: 8, spec: {}, rollback: false, registryAuthFrom: 'spec', registryAuth: undefined }]);
  });

  it('refuses bad update queries with 400, and a stale version with dockerd’s 500', async () => {
    const bad = async (q: string): Promise<Reply> => call(sock, 'POST', `/v1.47/services/web/update${q}`, { body: '{}' });
    let r = await bad('');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'invalid value for version: ""');
    r = await bad('?version=3&rollback=later');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'unrecognized rollback option later');
    r = await bad('?version=3&registryAuthFrom=nowhere');
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'unsupported registryAuthFrom value');
    r = await bad('?version=1');
    assert.equal(r.status, 500);
    assert.equal(JSON.parse(r.body).message, 'rpc error: code = Unknown desc = update out of sequence');
  });

  it('DELETE /services/{id} → 200', async () => {
    const r = await call(sock, 'DELETE', '/v1.47/services/web');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
    assert.deepEqual(last(), ['remove', 'web']);
  });

  it('GET /tasks and /tasks/{id}', async () => {
    const r = await call(sock, 'GET', `/v1.47/tasks?filters=${encodeURIComponent('{"_up-to-date":{"true":true},"service":{"web":true}}')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), [TASK]);
    assert.deepEqual(last(), ['tasks', { '_up-to-date': { true: true }, service: { web: true } }]);
    const one = await call(sock, 'GET', '/v1.47/tasks/tttt');
    assert.deepEqual(JSON.parse(one.body), TASK);
    assert.deepEqual(last(), ['task', 'tttt']);
  });

  it('service logs: one multiplexed frame per line, details and timestamps as dockerd writes them', async () => {
    const r = await call(sock, 'GET', '/v1.47/services/web/logs?stdout=1&stderr=1&details=1&timestamps=1&tail=10&since=1700000000.5&follow=1');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const { frames, rest } = decodeFrames(r.raw);
    assert.equal(rest.length, 0);
    const ids = `com.docker.swarm.node.id=${TASK.NodeID},com.docker.swarm.service.id=${SERVICE.ID},com.docker.swarm.task.id=${TASK.ID}`;
    assert.deepEqual(
      frames.map((f) => [f.stream, f.data.toString()]),
      [
        [1, `2024-01-02T03:04:05.500000000Z ${ids} hello\n`],
        [2, `2024-01-02T03:04:06.000000000Z ${ids},tag=a+b oops\n`],
      ],
    );
    assert.deepEqual(last(), ['service-logs', SERVICE.ID, { stdout: true, stderr: true, follow: true, timestamps: true, details: true, since: 1700000000.5, tail: 10 }]);
  });

  it('service logs: only the streams asked for; plain lines without details', async () => {
    const r = await call(sock, 'GET', '/v1.47/services/web/logs?stdout=1&tail=all');
    const { frames } = decodeFrames(r.raw);
    assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'hello\n']]);
  });

  it('service logs: raw bytes for a TTY service, raw-stream content type below 1.42', async () => {
    tty = true;
    try {
      const r = await call(sock, 'GET', '/v1.47/services/web/logs?stdout=1&stderr=1');
      assert.equal(r.headers['content-type'], 'application/vnd.docker.raw-stream');
      assert.equal(r.body, 'hello\noops\n');
    } finally {
      tty = false;
    }
    const old = await call(sock, 'GET', '/v1.41/services/web/logs?stdout=1');
    assert.equal(old.headers['content-type'], 'application/vnd.docker.raw-stream');
    assert.equal(decodeFrames(old.raw).frames.length, 1, 'still multiplexed without TTY');
  });

  it('service logs: errors before the stream are HTTP errors, errors during it a systemerr frame', async () => {
    const status = async (q: string): Promise<[number, string]> => {
      const r = await call(sock, 'GET', `/v1.47/services/web/logs${q}`);
      return [r.status, (JSON.parse(r.body) as { message: string }).message];
    };
    assert.deepEqual(await status(''), [400, 'Bad parameters: you must choose at least one stream']);
    assert.deepEqual(await status('?stdout=1&tail=-1'), [400, 'negative tail values not supported']);
    assert.deepEqual(await status('?stdout=1&tail=lots'), [400, 'tail value must be a positive integer or "all"']);
    assert.match((await status('?stdout=1&since=yesterday'))[1], /^could not parse since timestamp/);
    failLogs = 'agent unreachable';
    try {
      const r = await call(sock, 'GET', '/v1.47/services/web/logs?stdout=1&stderr=1');
      assert.equal(r.status, 200);
      const { frames } = decodeFrames(r.raw);
      assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]).slice(2), [[3, 'Error grabbing logs: agent unreachable\n']]);
    } finally {
      failLogs = undefined;
    }
  });

  it('task logs resolve the task first', async () => {
    const r = await call(sock, 'GET', '/v1.47/tasks/tttt/logs?stdout=1&details=1');
    assert.equal(r.status, 200);
    assert.equal(decodeFrames(r.raw).frames.length, 1);
    assert.deepEqual(calls.slice(-2), [
      ['task', 'tttt'],
      ['task-logs', TASK.ID, { stdout: true, stderr: false, follow: false, timestamps: false, details: true, since: 0, tail: undefined }],
    ]);
  });

  it('GET /distribution/{name}/json answers 404 at once without a registry backend', async () => {
    const r = await call(sock, 'GET', '/v1.47/distribution/localhost:5000/team/img:1/json');
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).message, 'no such image: localhost:5000/team/img:1: no registry to look it up in');
  });
});

describe('service routes without a manager', () => {
  it('answer 503 not a swarm manager, and /distribution asks the backend when there is one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-svc-routes-'));
    const descriptor = { Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: 'sha256:' + 'a'.repeat(64), size: 10 }, Platforms: [{ architecture: 'amd64', os: 'linux' }] };
    const asked: string[] = [];
    const { server, sock } = await serve(dir, {
      nodes: undefined as never,
      distribution: { inspect: async (image) => (asked.push(image), descriptor) },
    });
    try {
      for (const [method, path] of [['GET', '/services'], ['GET', '/tasks'], ['POST', '/services/create'], ['GET', '/tasks/x/logs?stdout=1']] as const) {
        const r = await call(sock, method, `/v1.47${path}`, method === 'POST' ? { headers: { 'Content-Type': 'application/json' }, body: '{}' } : {});
        assert.equal(r.status, 503, path);
        assert.match(JSON.parse(r.body).message, /not a swarm manager/);
      }
      const r = await call(sock, 'GET', '/v1.47/distribution/img:1/json');
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), descriptor);
      assert.deepEqual(asked, ['img:1']);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('log line helpers', () => {
  it('query-escape as Go does, and print fixed-width nanosecond timestamps', () => {
    assert.equal(queryEscape("a b/c=d,e!'()*~_.-"), 'a+b%2Fc%3Dd%2Ce%21%27%28%29%2A~_.-');
    assert.equal(fixedTimestamp('2024-01-02T03:04:05Z'), '2024-01-02T03:04:05.000000000Z');
    assert.equal(fixedTimestamp('2024-01-02T03:04:05.123456789123Z'), '2024-01-02T03:04:05.123456789Z');
    assert.equal(fixedTimestamp('2024-01-02T03:04:05.1+02:00'), '2024-01-02T03:04:05.100000000+02:00');
    const l = LINES[1] as TaskLogLine;
    assert.equal(formatLogLine(l, { timestamps: false, details: false }), 'oops\n');
  });
});

// ------------------------------------------------------------------ the real docker CLI

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function docker(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('docker', args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function hasDocker(): Promise<boolean> {
  return new Promise((resolve) => execFile('docker', ['--version'], (err) => resolve(err === null)));
}

/** The backend the daemon will provide, made of the control API over the memory store. */
function controlBackend(h: ControlHarness, logs: TaskLogLine[]): Backend {
  const { deps } = h;
  return {
    services: {
      create: async (spec) => {
        const r = await createService(deps, spec);
        return { ID: r.service.ID, Warnings: r.warnings };
      },
      list: async (opts) => listServices(deps, opts),
      inspect: async (ref, opts) => getService(deps, ref, opts),
      update: async (ref, r) => ({ Warnings: (await updateService(deps, ref, { version: r.version, spec: r.spec, rollback: r.rollback })).warnings }),
      remove: async (ref) => removeService(deps, ref),
      logs: async (id) => linesOf(logs.filter((l) => l.serviceId === id)),
    },
    tasks: {
      list: async (filters) => listTasks(deps, filters),
      inspect: async (ref) => getTask(deps, ref),
      logs: async (id) => linesOf(logs.filter((l) => l.taskId === id)),
    },
    nodes: {
      list: async () => [],
      inspect: async (ref) => getNode(deps, ref),
      update: async () => undefined,
      remove: async () => undefined,
    },
  };
}

describe('the docker CLI against the service and task routes', async () => {
  const available = await hasDocker();
  let dir: string;
  let server: ApiServer;
  let env: Record<string, string>;
  let h: ControlHarness;
  const logs: TaskLogLine[] = [];
  const run = (...args: string[]): Promise<Run> => docker(args, env);

  before(async () => {
    assert.ok(available, 'the docker CLI is required for these tests (scripts/setup.sh installs what the project needs)');
    dir = await mkdtemp(join(tmpdir(), 'shoal-svc-cli-'));
    h = await initializedControl();
    // The CLI decodes the node's TLS info as base64 (the builder's placeholders are not).
    await h.deps.store.update(async (tx) => {
      const n = await tx.get('nodes', h.nodeId);
      assert.ok(n);
      tx.update('nodes', { ...n, Description: { ...n.Description, TLSInfo: { TrustRoot: 'ROOT', CertIssuerSubject: 'U1VCSg==', CertIssuerPublicKey: 'S0VZ' } } });
    });
    let sock: string;
    ({ server, sock } = await serve(dir, controlBackend(h, logs)));
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'config') };
  });
  after(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('service create -d prints the ID (and the CLI’s own digest warning)', async () => {
    const r = await run('service', 'create', '-d', '--name', 'web', '--replicas', '2', '--label', 'tier=front', '--restart-condition', 'on-failure', 'img:1');
    assert.equal(r.code, 0, r.stderr);
    const [service] = await listServices(h.deps);
    assert.equal(r.stdout, `${service?.ID}\n`);
    assert.match(r.stderr, /image img:1 could not be accessed on a registry to record\nits digest/);
    assert.deepEqual(service?.Spec.TaskTemplate.RestartPolicy?.Condition, 'on-failure');
  });

  it('service create refuses a bad constraint and a taken name with the daemon’s message', async () => {
    let r = await run('service', 'create', '-d', '--name', 'bad', '--constraint', 'node.role=manager', 'img:1');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n').at(-2), 'Error response from daemon: invalid constraint expression "node.role=manager": constraint expected one operator from ==, !=');
    r = await run('service', 'create', '-d', '--name', 'web', 'img:1');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n').at(-2), 'Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts with an existing object: service web already exists');
  });

  it('service ls shows REPLICAS from ServiceStatus', async () => {
    const r = await run('service', 'ls', '--format', '{{.Name}}|{{.Mode}}|{{.Replicas}}|{{.Image}}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web|replicated|0/2|img:1\n');
  });

  it('service inspect shows the spec with defaults; --pretty reads it', async () => {
    const r = await run('service', 'inspect', 'web');
    assert.equal(r.code, 0, r.stderr);
    const [s] = JSON.parse(r.stdout) as Service[];
    assert.equal(s?.Spec.Name, 'web');
    assert.deepEqual(s?.Spec.Labels, { tier: 'front' });
    assert.deepEqual(s?.Spec.UpdateConfig, { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' });
    assert.equal(s?.Spec.TaskTemplate.ContainerSpec?.StopGracePeriod, 10e9);
    const p = await run('service', 'inspect', '--pretty', 'web');
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^Name:\s+web$/m);
    assert.match(p.stdout, /^Service Mode:\s+Replicated$/m);
    assert.match(p.stdout, /^ Replicas:\s+2$/m);
    const missing = await run('service', 'inspect', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such service: nope/);
  });

  it('service ps lists the tasks with history indented, node names resolved', async () => {
    const s = await getService(h.deps, 'web');
    const base = { Version: { Index: 0 }, Labels: { tier: 'front' }, Spec: s.Spec.TaskTemplate, ServiceID: s.ID, NodeID: h.nodeId, SpecVersion: { Index: 1 } };
    await h.deps.store.update((tx) => {
      tx.create('tasks', { ...base, ID: 'a1' + 'x'.repeat(23), CreatedAt: '2024-01-01T00:00:02Z', UpdatedAt: '2024-01-01T00:00:02Z', Slot: 1, DesiredState: 'running', Status: { Timestamp: '2024-01-01T00:00:02Z', State: 'running', Message: 'started' } });
      tx.create('tasks', { ...base, ID: 'a0' + 'x'.repeat(23), CreatedAt: '2024-01-01T00:00:01Z', UpdatedAt: '2024-01-01T00:00:01Z', Slot: 1, DesiredState: 'shutdown', Status: { Timestamp: '2024-01-01T00:00:01Z', State: 'failed', Message: 'started', Err: 'task: non-zero exit (1)' } });
      tx.create('tasks', { ...base, ID: 'a2' + 'x'.repeat(23), CreatedAt: '2024-01-01T00:00:02Z', UpdatedAt: '2024-01-01T00:00:02Z', Slot: 2, DesiredState: 'running', Status: { Timestamp: '2024-01-01T00:00:02Z', State: 'running', Message: 'started' } });
    });
    const r = await run('service', 'ps', '--format', 'table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.Error}}', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'ID             NAME        IMAGE     NODE      DESIRED STATE   ERROR',
        'a1xxxxxxxxxx   web.1       img:1     m1        Running         ',
        'a0xxxxxxxxxx    \\_ web.1   img:1     m1        Shutdown        "task: non-zero exit (1)"',
        'a2xxxxxxxxxx   web.2       img:1     m1        Running         ',
        '',
      ].join('\n'),
    );
    const running = await run('service', 'ps', '-q', '--no-trunc', '--filter', 'desired-state=running', 'web');
    assert.equal(running.stdout, `a1${'x'.repeat(23)}\na2${'x'.repeat(23)}\n`);
    const ls = await run('service', 'ls', '--format', '{{.Replicas}}');
    assert.equal(ls.stdout, '2/2\n');
  });

  it('service logs prints name.slot.task@node prefixes from the frames', async () => {
    const s = await getService(h.deps, 'web');
    const t = 'a1' + 'x'.repeat(23);
    logs.push(
      { nodeId: h.nodeId, serviceId: s.ID, taskId: t, stream: 'stdout', time: '2024-01-02T03:04:05Z', text: 'hello from web' },
      { nodeId: h.nodeId, serviceId: s.ID, taskId: t, stream: 'stderr', time: '2024-01-02T03:04:06Z', text: 'and a warning' },
    );
    const r = await run('service', 'logs', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `web.1.${t.slice(0, 12)}@m1    | hello from web\n`);
    assert.equal(r.stderr, `web.1.${t.slice(0, 12)}@m1    | and a warning\n`);
    const raw = await run('service', 'logs', '--raw', '-t', 'web');
    assert.equal(raw.stdout, '2024-01-02T03:04:05.000000000Z hello from web\n');
    const byTask = await run('service', 'logs', '--no-task-ids', t);
    assert.equal(byTask.stdout, 'web.1@m1    | hello from web\n');
  });

  it('service scale, update --image and rollback go through update with the version', async () => {
    let r = await run('service', 'scale', '-d', 'web=5');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web scaled to 5\n');
    r = await run('service', 'update', '-d', '--image', 'img:2', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web\n');
    let s = await getService(h.deps, 'web');
    assert.equal(s.Spec.TaskTemplate.ContainerSpec?.Image, 'img:2');
    assert.deepEqual(s.Spec.Mode, { Replicated: { Replicas: 5 } });
    r = await run('service', 'rollback', '-d', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web\n');
    s = await getService(h.deps, 'web');
    assert.equal(s.Spec.TaskTemplate.ContainerSpec?.Image, 'img:1');
    assert.equal(s.UpdateStatus?.State, 'rollback_started');
    const pretty = await run('service', 'inspect', '--pretty', 'web');
    assert.match(pretty.stdout, /^UpdateStatus:\n State:\s+rollback_started\n/m);
    assert.match(pretty.stdout, /^ Message:\s+manually requested rollback$/m);
  });

  it('service rm removes by name and reports unknown names', async () => {
    let r = await run('service', 'rm', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'web\n');
    r = await run('service', 'rm', 'web');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /service web not found/);
  });
});
