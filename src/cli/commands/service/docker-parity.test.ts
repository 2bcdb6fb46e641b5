/**
 * Parity with the real docker CLI: each case runs `docker …` and `shoal …` against the same recording Engine-API
 * stub and asserts the same requests (method, path, query, body bytes) and the same stdout and stderr (the program
 * name aside). Skipped when no docker CLI is installed. Cases whose docker output depends on Go's random map order
 * (a published port range's order, --env-add order) are left out.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../program.js';
import { frame } from '../container/engine-stub.testkit.js';

const SID = 'svc0000000000000000000001';
const DIGEST = 'sha256:' + 'e'.repeat(64);

function fixtures(): Map<string, [number, unknown]> {
  const svc = {
    ID: SID,
    Version: { Index: 42 },
    CreatedAt: '2026-03-01T12:00:00Z',
    UpdatedAt: '2026-03-01T12:00:00Z',
    Spec: {
      Name: 'web',
      Labels: { keep: 'me', drop: 'x' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'nginx:1@' + DIGEST,
          Env: ['A=1', 'B=2'],
          Init: false,
          DNSConfig: { Nameservers: ['9.9.9.9'] },
          Isolation: 'default',
          Mounts: [{ Type: 'volume', Source: 'b', Target: '/b' }, { Type: 'volume', Source: 'a', Target: '/a' }],
          Hosts: ['10.0.0.1 db alias'],
          CapabilityAdd: ['CAP_NET_ADMIN'],
          CapabilityDrop: ['CAP_KILL'],
          Groups: ['b'],
          Ulimits: [{ Name: 'nofile', Hard: 2, Soft: 1 }],
          Sysctls: { 'net.a': '1' },
          Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
          Labels: { cl: '1' },
          StopGracePeriod: 10e9,
          Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
        },
        Resources: { Limits: { MemoryBytes: 1048576 }, Reservations: {} },
        RestartPolicy: { Condition: 'any', Delay: 5e9, MaxAttempts: 0 },
        Placement: { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.a' } }] },
        Networks: [{ Target: 'id-b' }],
        ForceUpdate: 1,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 3 } } as Record<string, unknown>,
      UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' },
      EndpointSpec: {
        Mode: 'vip',
        Ports: [
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
          { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
        ],
      },
    },
    Endpoint: {
      Spec: { Mode: 'vip' },
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'host' },
      ],
      VirtualIPs: [{ NetworkID: 'id-b', Addr: '10.0.0.2/24' }],
    },
    UpdateStatus: { State: 'completed', StartedAt: '2026-03-01T11:00:00Z', CompletedAt: '2026-03-01T11:01:00Z', Message: 'update completed' },
    ServiceStatus: { RunningTasks: 2, DesiredTasks: 3, CompletedTasks: 0 },
  };
  const glob = structuredClone(svc);
  glob.ID = 'glob00000000000000000001';
  glob.Spec.Name = 'agent';
  glob.Spec.Mode = { Global: {} };
  (glob.Spec.TaskTemplate as Record<string, unknown>).Placement = { MaxReplicas: 2 };
  const job = structuredClone(svc);
  job.ID = 'job000000000000000000001';
  job.Spec.Name = 'job10';
  job.Spec.Mode = { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 10 } };
  job.ServiceStatus = { RunningTasks: 1, DesiredTasks: 2, CompletedTasks: 5 };
  const task = (id: string, slot: number, state: string, desired: string, created: string, o: { err?: string; node?: string; ports?: unknown[] } = {}): Record<string, unknown> => {
    const t: Record<string, unknown> = {
      ID: id,
      Version: { Index: 1 },
      CreatedAt: created,
      UpdatedAt: created,
      Labels: {},
      Spec: { ContainerSpec: { Image: 'nginx:1@' + DIGEST } },
      ServiceID: SID,
      Slot: slot,
      NodeID: o.node ?? 'node1',
      Status: { Timestamp: '2020-01-01T00:00:00Z', State: state, Message: state, Err: o.err ?? '', ContainerStatus: {}, PortStatus: o.ports ? { Ports: o.ports } : {} },
      DesiredState: desired,
    };
    if (slot === 0) delete t.Slot;
    return t;
  };
  const tasks = [
    task('old1aaaaaaaaaaaaaaaaaaaa1', 1, 'failed', 'shutdown', '2026-03-01T10:00:00.5Z', { err: 'task: non-zero exit (1): container failed badly' }),
    task('new1aaaaaaaaaaaaaaaaaaaa1', 1, 'running', 'running', '2026-03-01T11:00:00Z', { ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30000, PublishMode: 'host' }] }),
    task('mid1aaaaaaaaaaaaaaaaaaaa1', 1, 'shutdown', 'shutdown', '2026-03-01T10:30:00Z'),
    task('t10aaaaaaaaaaaaaaaaaaaaa1', 10, 'running', 'running', '2026-03-01T11:00:00Z'),
    task('t2aaaaaaaaaaaaaaaaaaaaaa1', 2, 'pending', 'running', '2026-03-01T11:00:00Z', { err: 'no suitable node (insufficient resources on 1 node)', node: '' }),
    task('gl1aaaaaaaaaaaaaaaaaaaaa1', 0, 'running', 'running', '2026-03-01T11:00:00Z', { node: 'node2' }),
  ];
  const details = (t: string): string => `com.docker.swarm.node.id=node1,com.docker.swarm.service.id=${SID},com.docker.swarm.task.id=${t}`;
  const logs = Buffer.concat([frame(1, `${details('new1aaaaaaaaaaaaaaaaaaaa1')} hello world\n`), frame(2, `extra%3D1=a+b,${details('t10aaaaaaaaaaaaaaaaaaaaa1')}   err line\n`)]);
  return new Map<string, [number, unknown]>([
    ['GET /services', [200, [svc, glob, job]]],
    ['GET /services/web', [200, svc]],
    [`GET /services/${SID}`, [200, svc]],
    ['GET /services/agent', [200, glob]],
    ['GET /services/job10', [200, job]],
    ['GET /services/nosuch', [404, { message: 'service nosuch not found' }]],
    ['DELETE /services/web', [200, null]],
    ['DELETE /services/nosuch', [404, { message: 'service nosuch not found' }]],
    ['GET /tasks', [200, tasks]],
    ['GET /tasks/new1aaaaaaaaaaaaaaaaaaaa1', [200, tasks[1]]],
    ['GET /tasks/t10aaaaaaaaaaaaaaaaaaaaa1', [200, tasks[3]]],
    ['GET /nodes/node1', [200, { ID: 'node1', Spec: { Labels: {}, Role: 'manager', Availability: 'active' }, Description: { Hostname: 'manager1' } }]],
    ['GET /nodes/node2', [200, { ID: 'node2', Spec: { Name: 'named2', Labels: {}, Role: 'worker', Availability: 'active' }, Description: { Hostname: 'worker2' } }]],
    ['GET /networks/id-b', [200, { Id: 'id-b', Name: 'backnet', Scope: 'swarm' }]],
    ['GET /secrets', [200, [{ ID: 'secid', Spec: { Name: 's1' } }]]],
    ['GET /configs', [200, [{ ID: 'cfgid', Spec: { Name: 'c1' } }]]],
    ['POST /services/create', [201, { ID: 'newid', Warnings: ['a daemon warning'] }]],
    ['GET /services/web/logs', [-1, logs]],
  ]);
}

const CASES: string[][] = [
  // create: §9's probe, then every flag family
  ['create', '-d', '--name', 'web', '--replicas', '5', '-p', '80:80', '--limit-cpu', '0.1', '--limit-memory', '50M', '--restart-condition', 'on-failure', '--constraint', 'node.role==manager', '--network', 'webnet', 'img'],
  ['create', '-d', 'busybox'],
  ['create', '-d', '--mode', 'global', 'img'],
  ['create', '-d', '--mode', 'replicated-job', '--replicas', '10', '--max-concurrent', '2', 'img'],
  ['create', '-d', '--mode', 'global-job', 'img'],
  ['create', '-d', '-e', 'A=1', '-e', 'B=2', '-e', 'A=3', '-e', 'FROM_ENV', '--label', 'a=b', '-l', 'c', '--container-label', 'x=y', 'img'],
  ['create', '-d', '--constraint', 'node.labels.zone==a', '--placement-pref', 'spread=node.labels.rack', '--replicas-max-per-node', '2', 'img'],
  ['create', '-d', '--limit-pids', '100', '--reserve-cpu', '0.5', '--reserve-memory', '1g', '--restart-max-attempts', '3', '--restart-window', '1m', 'img'],
  ['create', '-d', '--update-delay', '10s', '--update-failure-action', 'rollback', '--update-max-failure-ratio', '0.2', '--update-order', 'start-first', '--rollback-parallelism', '0', '--rollback-monitor', '7s', 'img'],
  ['create', '-d', '--health-cmd', 'curl -f http://localhost/', '--health-interval', '5s', '--health-retries', '3', '--health-start-interval', '1s', 'img'],
  ['create', '-d', '--no-healthcheck', 'img'],
  ['create', '-d', '--mount', 'type=volume,source=data,target=/data', '--mount', 'type=bind,src=/srv,dst=/srv,readonly', '--mount', 'type=tmpfs,target=/tmp,tmpfs-size=64m', 'img'],
  ['create', '-d', '--publish', 'published=8080,target=80,mode=host', '-p', '53:53/udp', '-p', '90', 'img'],
  ['create', '-d', '-u', 'nobody', '-w', '/srv', '--hostname', 'h1', '--init', '--stop-signal', 'SIGINT', '--stop-grace-period', '30s', '--cap-add', 'net_admin', '--cap-drop', 'ALL', '--sysctl', 'net.core.somaxconn=1024', '--ulimit', 'nofile=1024:2048', 'img'],
  ['create', '-d', '--entrypoint', '/bin/sh -c', '--group', 'wheel', '--dns', '8.8.8.8', '--host', 'db:10.0.0.2', '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '-t', '--read-only', 'img', 'echo $HOME', '--detach=false'],
  ['create', '-d', '--network', 'name=zeta,alias=z', '--network', 'alpha', '-e', 'Q=a<b&c>d', 'img'],
  ['create', '-d', '--secret', 's1', '--config', 'source=c1,target=/etc/c.conf,mode=0400', '--with-registry-auth', 'img'],
  ['create', '-d', '--no-resolve-image', 'me/app:2'],
  ['create', '--detach=true', '--init=false', 'nginx@' + DIGEST],
  ['create', '-d', '--mode', 'global', '--replicas', '2', 'img'],
  ['create', '-d', '--mode', 'replicated-job', '--update-delay', '1s', 'img'],
  // update, scale, rollback, rm
  ['update', '-d', '--image', 'nginx:2', '--label-add', 'new=1', '--label-rm', 'drop', '--constraint-add', 'node.labels.zone==a', '--constraint-rm', 'node.role==worker', '--publish-rm', '80', '--publish-add', 'published=9090,target=90,mode=host', '--replicas', '5', '--force', '--update-order', 'start-first', '--init=true', 'web'],
  ['update', '-d', '--env-rm', 'A', '--mount-add', 'type=volume,source=c,target=/a', '--mount-rm', '/b', '--dns-add', '1.1.1.1', '--dns-rm', '9.9.9.9', '--group-add', 'a', '--host-rm', 'alias', '--host-add', 'web:10.0.0.3', 'web'],
  ['update', '-d', '--cap-add', 'kill', '--cap-drop', 'net_admin', '--ulimit-add', 'nproc=5', '--ulimit-rm', 'nofile', '--sysctl-add', 'net.b=2', '--sysctl-rm', 'net.a', '--restart-delay', '1s', '--limit-cpu', '1.5', 'web'],
  ['update', '-d', '--health-cmd', 'curl x', '--container-label-add', 'z=9', '--container-label-rm', 'cl', '--stop-grace-period', '1m', '-t', '--read-only', 'web'],
  ['update', '-d', '--no-healthcheck', '--placement-pref-rm', 'spread=node.labels.a', '--placement-pref-add', 'spread=node.labels.b', '--replicas-max-per-node', '3', '--rollback-parallelism', '4', 'web'],
  ['update', '-d', '--network-add', 'front', '--network-rm', 'id-b', '--endpoint-mode', 'dnsrr', '--secret-add', 's1', '--config-add', 'c1', '--args', 'c d', 'web'],
  ['update', '-d', '--rollback', 'web'],
  ['update', '--rollback', '--replicas', '2', 'web'],
  ['update', '-d', '--replicas', '2', 'agent'],
  ['scale', '-d', 'web=5', 'x=y', 'agent=2', 'job10=20'],
  ['rollback', '-d', 'web'],
  ['rm', 'web', 'nosuch'],
  // output
  ['ls'],
  ['ls', '-q'],
  ['ls', '--format', '{{json .}}'],
  ['ls', '--format', 'raw'],
  ['ps', 'web'],
  ['ps', '--no-trunc', 'web'],
  ['ps', '-q', 'web'],
  ['ps', '--no-resolve', '-f', 'desired-state=running', 'web'],
  ['ps', '--format', 'json', 'web'],
  ['ps', 'web', 'nosuch'],
  ['inspect', 'web', 'nosuch'],
  ['inspect', '-f', '{{.Spec.Name}} {{json .Spec.Mode}}', 'web'],
  ['inspect', '--pretty', 'web', 'agent', 'job10'],
  ['logs', 'web'],
  ['logs', '--details', '--no-task-ids', 'web'],
  ['logs', '--raw', 'web'],
  ['logs', '--no-trunc', '--no-resolve', '-n', '5', 'web'],
  // the convergence loop, without a terminal (a 1 ns monitor window keeps it independent of timing)
  ['create', '--no-resolve-image', '--name', 'prog', 'img'],
  ['scale', 'prog=2'],
  ['rollback', 'prog'],
];

/** What the loop sees on its n-th poll of `prog`: tasks moving forward, one failing and being replaced. */
function progressTasks(n: number): unknown[] {
  const t = (slot: number, state: string, desired = 'running', err = ''): unknown => ({ ID: `p${slot}${state}`, ServiceID: 'newid', Slot: slot, NodeID: 'node1', DesiredState: desired, Status: { State: state, Err: err } });
  if (n === 1) return [];
  // one slot first: docker maps slots to lines in Go's (random) map order when several appear at once
  if (n === 2) return [t(1, 'pending', 'running', 'no suitable node (insufficient resources on 1 node; 1 node not available for new tasks)')];
  if (n === 3) return [t(1, 'running'), t(2, 'starting')];
  if (n === 4) return [t(1, 'failed', 'shutdown'), t(1, 'ready', 'running'), t(2, 'running')];
  return [t(1, 'running'), t(2, 'running')];
}

function progService(polls: number, rollback: boolean): unknown {
  return {
    ID: 'newid',
    Version: { Index: 3 },
    CreatedAt: '2026-03-01T12:00:00Z',
    UpdatedAt: '2026-03-01T12:00:00Z',
    Spec: { Name: 'prog', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'img:latest' } }, Mode: { Replicated: { Replicas: 2 } }, UpdateConfig: { Parallelism: 1, Monitor: 1, MaxFailureRatio: 0, Order: 'stop-first' } },
    ...(rollback ? { UpdateStatus: polls < 3 ? { State: 'rollback_started', Message: 'manually requested rollback' } : { State: 'rollback_completed', Message: 'rollback completed' } } : {}),
  };
}

interface Recorded {
  method: string;
  path: string;
  query: string;
  body: string;
}

function dockerAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('docker', ['--version'], (err) => resolve(err === null)));
}

describe('parity with the docker CLI 28', async () => {
  const available = await dockerAvailable();
  const dir = mkdtempSync(join(tmpdir(), 'shoal-parity-'));
  const sock = join(dir, 'engine.sock');
  const routes = fixtures();
  let recorded: Recorded[] = [];
  let taskPolls = 0;
  let servicePolls = 0;
  let rollbackCase = false;
  let server: Server;

  before(async () => {
    assert.ok(available, 'the docker CLI is required for the parity tests');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://engine');
        const path = url.pathname.replace(/^\/v[\d.]+/, '');
        const json = (status: number, body: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (path === '/_ping') {
          res.writeHead(200, { 'Api-Version': '1.47', 'Content-Type': 'text/plain' });
          res.end(req.method === 'HEAD' ? undefined : 'OK');
          return;
        }
        recorded.push({ method: req.method ?? '', path, query: url.search, body: Buffer.concat(chunks).toString() });
        if (path === '/services/newid' || path === '/services/prog') return json(200, progService(++servicePolls, rollbackCase));
        if (path === '/tasks' && url.search.includes('_up-to-date')) return json(200, progressTasks(++taskPolls));
        if (path === '/nodes') return json(200, [{ ID: 'node1', Status: { State: 'ready' } }]);
        const route = routes.get(`${req.method ?? ''} ${path}`);
        if (route !== undefined) {
          if (route[0] === -1) {
            res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
            res.end(route[1] as Buffer);
          } else json(route[0], route[1]);
          return;
        }
        if (path.startsWith('/networks/')) return json(200, { Id: `id-${path.slice('/networks/'.length)}`, Name: path.slice('/networks/'.length), Scope: 'swarm' });
        if (path.startsWith('/distribution/img')) return json(200, { Descriptor: { digest: DIGEST }, Platforms: [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }] });
        if (path.startsWith('/services/') && path.endsWith('/update')) return json(200, {});
        json(404, { message: `no route for ${path}` });
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const args of CASES) {
    it(`service ${args.join(' ')}`, async () => {
      recorded = [];
      taskPolls = 0;
      servicePolls = 0;
      rollbackCase = args[0] === 'rollback';
      const docker = await new Promise<{ out: string; err: string }>((resolve) =>
        execFile('docker', ['-H', `unix://${sock}`, 'service', ...args], { env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dir, FROM_ENV: 'yes' }, timeout: 20_000 }, (_e, out, err) =>
          resolve({ out, err }),
        ),
      );
      const dockerCalls = recorded;
      recorded = [];
      taskPolls = 0;
      servicePolls = 0;
      let out = '';
      let err = '';
      await runCli({
        argv: ['service', ...args],
        out: { write: (s) => (out += String(s)) },
        err: { write: (s) => (err += String(s)) },
        env: { SHOAL_HOST: `unix://${sock}`, HOME: dir, FROM_ENV: 'yes' },
        version: '0.0.0-test',
      });
      assert.deepEqual(recorded, dockerCalls);
      assert.equal(out, docker.out);
      assert.equal(err, docker.err.replace(/\bdocker service\b/g, 'shoal service'));
    });
  }
});
