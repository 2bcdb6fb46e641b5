/**
 * The task routes driven by the real docker CLI (`stack ps`, `node ps`, `service ps` filters), over a backend made of
 * the control API on the memory store, with tasks written as the orchestrators would.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Task } from '../../api/types.js';
import { captureLogger } from '../../lib/logger.js';
import { getNode } from '../../manager/controlapi/nodes.js';
import { createService, getService, listServices } from '../../manager/controlapi/services.js';
import { getTask, listTasks } from '../../manager/controlapi/tasks.js';
import { aWorker, initializedControl } from '../../../test/builders/control.js';
import type { ControlHarness } from '../../../test/builders/control.js';
import { Router } from '../router.js';
import { startApiServer } from '../server.js';
import type { ApiServer } from '../server.js';
import type { EngineBackend } from './backend.js';
import { nodeRoutes } from './nodes.js';
import { serviceRoutes } from './services.js';
import { taskRoutes } from './tasks.js';

function docker(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('docker', args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

function hasDocker(): Promise<boolean> {
  return new Promise((resolve) => execFile('docker', ['--version'], (err) => resolve(err === null)));
}

function get(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const WORKER = 'w1' + 'k'.repeat(23);

describe('the docker CLI against the task routes', async () => {
  const available = await hasDocker();
  let dir: string;
  let sock: string;
  let server: ApiServer;
  let env: Record<string, string>;
  let h: ControlHarness;

  before(async () => {
    assert.ok(available, 'the docker CLI is required for these tests (scripts/setup.sh installs what the project needs)');
    dir = await mkdtemp(join(tmpdir(), 'shoal-task-cli-'));
    h = await initializedControl();
    const { deps, nodeId } = h;
    const tls = { TrustRoot: 'ROOT', CertIssuerSubject: 'U1VCSg==', CertIssuerPublicKey: 'S0VZ' };
    await deps.store.update(async (tx) => {
      const n = await tx.get('nodes', nodeId);
      assert.ok(n);
      tx.update('nodes', { ...n, Description: { ...n.Description, TLSInfo: tls } });
      const w = aWorker(WORKER, 'worker-1');
      tx.create('nodes', { ...w, Description: { ...w.Description, TLSInfo: tls } });
    });
    const ns = { 'com.docker.stack.namespace': 'lab' };
    const web = (await createService(deps, { Name: 'lab_web', Labels: ns, TaskTemplate: { ContainerSpec: { Image: 'nginx:1' } } })).service;
    const agent = (await createService(deps, { Name: 'lab_agent', Labels: ns, TaskTemplate: { ContainerSpec: { Image: 'agent:1' } }, Mode: { Global: {} } })).service;
    const other = (await createService(deps, { Name: 'other', TaskTemplate: { ContainerSpec: { Image: 'busybox' } } })).service;
    const at = '2024-01-01T00:00:00Z';
    const task = (id: string, serviceId: string, spec: Task['Spec'], patch: Partial<Task>): Task => ({
      ID: id,
      Version: { Index: 0 },
      CreatedAt: at,
      UpdatedAt: at,
      Labels: serviceId === other.ID ? {} : ns,
      Spec: spec,
      ServiceID: serviceId,
      Status: { Timestamp: at, State: 'running', Message: 'started' },
      DesiredState: 'running',
      SpecVersion: { Index: 1 },
      ...patch,
    });
    await deps.store.update((tx) => {
      tx.create('tasks', task('t1' + 'a'.repeat(23), web.ID, web.Spec.TaskTemplate, { Slot: 1, NodeID: WORKER }));
      tx.create('tasks', task('t2' + 'a'.repeat(23), agent.ID, agent.Spec.TaskTemplate, { NodeID: nodeId }));
      tx.create('tasks', task('t3' + 'a'.repeat(23), agent.ID, agent.Spec.TaskTemplate, { NodeID: WORKER, DesiredState: 'shutdown', Status: { Timestamp: at, State: 'rejected', Message: 'preparing', Err: 'No such image: agent:1' } }));
      tx.create('tasks', task('t4' + 'a'.repeat(23), other.ID, other.Spec.TaskTemplate, { Slot: 1, NodeID: nodeId }));
    });
    const backend: Pick<EngineBackend, 'services' | 'tasks' | 'nodes'> = {
      services: {
        create: () => Promise.reject(new Error('unused')),
        list: (opts) => listServices(deps, opts),
        inspect: (ref, opts) => getService(deps, ref, opts),
        update: () => Promise.reject(new Error('unused')),
        remove: () => Promise.reject(new Error('unused')),
        logs: () => Promise.reject(new Error('unused')),
      },
      tasks: { list: (f) => listTasks(deps, f), inspect: (ref) => getTask(deps, ref), logs: () => Promise.reject(new Error('unused')) },
      nodes: { list: async () => [], inspect: (ref) => getNode(deps, ref), update: async () => undefined, remove: async () => undefined },
    };
    const router = new Router();
    serviceRoutes(router, backend);
    taskRoutes(router, backend);
    nodeRoutes(router, backend as EngineBackend);
    sock = join(dir, 'docker.sock');
    server = await startApiServer({ router, logger: captureLogger(), engineVersion: '0.1.0', swarmHeader: () => 'active/manager', listen: [`unix://${sock}`] });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'config') };
  });
  after(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const FORMAT = 'table {{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.Error}}';

  it('stack ps finds the stack’s tasks through the service labels they carry', async () => {
    const r = await docker(['stack', 'ps', '--format', FORMAT, 'lab'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'NAME                                  IMAGE     NODE       DESIRED STATE   ERROR',
        `lab_agent.${h.nodeId}   agent:1   m1         Running         `,
        `lab_agent.${WORKER}   agent:1   worker-1   Shutdown        "No such image: agent:1"`,
        'lab_web.1                             nginx:1   worker-1   Running         ',
        '',
      ].join('\n'),
    );
    const none = await docker(['stack', 'ps', 'nolab'], env);
    assert.equal(none.stderr, 'nothing found in stack: nolab\n');
  });

  it('node ps lists a node’s tasks by hostname; service ps filters by desired state', async () => {
    const r = await docker(['node', 'ps', '--format', '{{.Name}} {{.DesiredState}}', 'worker-1'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `lab_agent.${WORKER} Shutdown\nlab_web.1 Running\n`);
    const running = await docker(['service', 'ps', '--format', '{{.Name}}', '--filter', 'desired-state=running', 'lab_agent'], env);
    assert.equal(running.stdout, `lab_agent.${h.nodeId}\n`);
    const bad = await docker(['service', 'ps', '--filter', 'desired-state=sleeping', 'lab_agent'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "Error response from daemon: Invalid desired-state filter: 'sleeping'\n");
    const missing = await docker(['service', 'ps', 'nope'], env);
    assert.equal(missing.stderr, 'no such service: nope\n');
  });

  it('GET /tasks/{id} and unknown service or node filters answer 404', async () => {
    const one = await get(sock, `/v1.47/tasks/lab_web.1.t1${'a'.repeat(23)}`);
    assert.equal(one.status, 200);
    assert.equal((JSON.parse(one.body) as Task).ID, 't1' + 'a'.repeat(23));
    const svc = await get(sock, `/v1.47/tasks?filters=${encodeURIComponent('{"service":{"nope":true}}')}`);
    assert.deepEqual([svc.status, JSON.parse(svc.body)], [404, { message: 'service nope not found' }]);
    const node = await get(sock, `/v1.47/tasks?filters=${encodeURIComponent('{"node":{"nope":true}}')}`);
    assert.deepEqual([node.status, JSON.parse(node.body)], [404, { message: 'node nope not found' }]);
  });
});
