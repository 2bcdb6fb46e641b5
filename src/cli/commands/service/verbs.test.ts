/**
 * The service verbs through the whole CLI (parsing, registration, requests, output) against a scripted daemon:
 * the call sequences of docs/docker-engine-api.md §3.5 and the bodies of §9.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Service } from '../../../client/service-types.js';
import { runCli } from '../../program.js';
import { EngineStub } from '../container/engine-stub.testkit.js';

const SID = 'svc0000000000000000000001';
const DIGEST = 'sha256:' + 'e'.repeat(64);

async function cli(engine: EngineStub, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli({
    argv,
    out: { write: (s) => (out += String(s)) },
    err: { write: (s) => (err += String(s)) },
    env: { SHOAL_HOST: engine.host, HOME: '/nonexistent' },
    version: '0.0.0-test',
  });
  return { code, out, err };
}

function current(o: Partial<Service['Spec']> = {}): Service {
  return {
    ID: SID,
    Version: { Index: 42 },
    CreatedAt: '2026-03-01T12:00:00Z',
    UpdatedAt: '2026-03-01T12:00:00Z',
    Spec: {
      Name: 'web',
      Labels: { keep: 'me', drop: 'x' },
      TaskTemplate: {
        ContainerSpec: { Image: 'nginx:1@' + DIGEST, Env: ['A=1', 'B=2'], Init: false, DNSConfig: {}, Isolation: 'default' },
        Resources: { Limits: {}, Reservations: {} },
        Placement: { Constraints: ['node.role==worker'] },
        ForceUpdate: 1,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] },
      ...o,
    },
    Endpoint: { Spec: {}, Ports: [] },
  };
}

const body = (engine: EngineStub, path: string): string => engine.requests.find((r) => r.path === path)?.body.toString() ?? '';

describe('service verbs', () => {
  let engine: EngineStub;
  beforeEach(async () => {
    engine = await new EngineStub().start();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('create -d: network by name, digest and platforms from /distribution, the §9 body, the ID on stdout', async () => {
    engine
      .on('GET /networks/webnet', (c) => c.json(200, { Id: 'net0000000000000000000001', Name: 'webnet', Scope: 'swarm' }))
      .on('GET /distribution/img:latest/json', (c) =>
        c.json(200, { Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: DIGEST, size: 1 }, Platforms: [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }] }),
      )
      .on('POST /services/create', (c) => c.json(201, { ID: SID, Warnings: null }));
    const r = await cli(engine, 'service', 'create', '-d', '--name', 'web', '--replicas', '5', '-p', '80:80', '--limit-cpu', '0.1', '--limit-memory', '50M', '--restart-condition', 'on-failure', '--constraint', 'node.role==manager', '--network', 'webnet', 'img');
    assert.deepEqual(r, { code: 0, out: `${SID}\n`, err: '' });
    assert.deepEqual(engine.calls(), ['GET /networks/webnet?scope=swarm', 'GET /distribution/img:latest/json', 'POST /services/create']);
    assert.equal(
      body(engine, '/services/create'),
      `{"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"img:latest@${DIGEST}","Init":false,"DNSConfig":{}},` +
        '"Resources":{"Limits":{"NanoCPUs":100000000,"MemoryBytes":52428800},"Reservations":{}},' +
        '"RestartPolicy":{"Condition":"on-failure","Delay":5000000000,"MaxAttempts":0},' +
        '"Placement":{"Constraints":["node.role==manager"],"Platforms":[{"Architecture":"amd64","OS":"linux"},{"Architecture":"arm64","OS":"linux"},{"OS":"linux"}]},' +
        '"Networks":[{"Target":"net0000000000000000000001"}],"ForceUpdate":0},"Mode":{"Replicated":{"Replicas":5}},' +
        '"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":80,"PublishMode":"ingress"}]}}\n',
    );
    assert.equal(engine.requests.find((r2) => r2.path === '/services/create')?.headers['content-type'], 'application/json');
  });

  it('create: a registry that cannot be reached leaves the tag and warns in docker’s words; daemon warnings too', async () => {
    engine.on('POST /services/create', (c) => c.json(201, { ID: SID, Warnings: ['daemon says hi'] }));
    const r = await cli(engine, 'service', 'create', '--detach', 'me/app:2');
    assert.equal(r.code, 0);
    assert.equal(r.out, `${SID}\n`);
    assert.equal(
      r.err,
      'daemon says hi\n' +
        'image me/app:2 could not be accessed on a registry to record\nits digest. Each node will access me/app:2 independently,\n' +
        'possibly leading to different nodes running different\nversions of the image.\n\n',
    );
    assert.ok(body(engine, '/services/create').includes('"Image":"me/app:2"'));
    assert.deepEqual(engine.calls(), ['GET /distribution/me/app:2/json', 'POST /services/create']);
  });

  it('create: secrets and configs by name (GET /secrets|/configs?filters={"name":…}), --no-resolve-image, --with-registry-auth', async () => {
    engine
      .on('GET /secrets', (c) => c.json(200, [{ ID: 'sec1', Spec: { Name: 'db_pass' } }, { ID: 'sec2', Spec: { Name: 'db_pass_old' } }]))
      .on('GET /configs', (c) => c.json(200, [{ ID: 'cfg1', Spec: { Name: 'app' } }]))
      .on('POST /services/create', (c) => c.json(201, { ID: SID }));
    const r = await cli(engine, 'service', 'create', '-d', '--no-resolve-image', '--with-registry-auth', '--secret', 'db_pass', '--config', 'source=app,target=/etc/app.conf,mode=0400', 'img');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(engine.calls(), [
      `GET /secrets?filters=${encodeURIComponent('{"name":{"db_pass":true}}')}`,
      `GET /configs?filters=${encodeURIComponent('{"name":{"app":true}}')}`,
      'POST /services/create',
    ]);
    assert.ok(
      body(engine, '/services/create').includes(
        '"Secrets":[{"File":{"Name":"db_pass","UID":"0","GID":"0","Mode":292},"SecretID":"sec1","SecretName":"db_pass"}],' +
          '"Configs":[{"File":{"Name":"/etc/app.conf","UID":"0","GID":"0","Mode":256},"ConfigID":"cfg1","ConfigName":"app"}]',
      ),
    );
    assert.equal(engine.requests.find((q) => q.path === '/services/create')?.headers['x-registry-auth'], 'e30=');

    engine.on('GET /secrets', (c) => c.json(200, []));
    const missing = await cli(engine, 'service', 'create', '-d', '--secret', 'nope', 'img');
    assert.deepEqual(missing, { code: 1, out: '', err: 'secret not found: nope\n' });
  });

  it('create without -d waits for convergence (plain lines when stdout is not a terminal)', async () => {
    let polls = 0;
    engine
      .on('POST /services/create', (c) => c.json(201, { ID: SID }))
      .on(`GET /services/${SID}`, (c) => c.json(200, { ...current(), Spec: { ...current().Spec, Mode: { Replicated: { Replicas: 1 } }, UpdateConfig: { Parallelism: 1, Monitor: 1, MaxFailureRatio: 0, Order: 'stop-first' } } }))
      .on('GET /tasks', (c) => c.json(200, [{ ID: 't1', Slot: 1, NodeID: 'n1', DesiredState: 'running', Status: { State: ++polls > 1 ? 'running' : 'starting' } }]))
      .on('GET /nodes', (c) => c.json(200, [{ ID: 'n1', Status: { State: 'ready' } }]));
    const r = await cli(engine, 'service', 'create', '--detach=false', '--no-resolve-image', 'img');
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `${SID}\noverall progress: 0 out of 1 tasks\n1/1:  \noverall progress: 0 out of 1 tasks\noverall progress: 1 out of 1 tasks\n` +
        `verify: Service ${SID} converged\n`,
    );
  });

  it('create: flag combinations docker refuses are refused before any request', async () => {
    const r = await cli(engine, 'service', 'create', '--mode', 'global', '--replicas', '2', '--network', 'x', 'img');
    assert.deepEqual(r, { code: 1, out: '', err: 'replicas can only be used with replicated or replicated-job mode\n' });
    assert.deepEqual(engine.calls(), []);
  });

  it('update: read, merge the flags into the current spec, pin the new image, POST with version and registryAuthFrom=spec', async () => {
    engine
      .on('GET /services/web', (c) => c.json(200, current()))
      .on('GET /distribution/nginx:2/json', (c) => c.json(200, { Descriptor: { digest: DIGEST }, Platforms: [{ architecture: 'amd64', os: 'linux' }] }))
      .on(`POST /services/${SID}/update`, (c) => c.json(200, { Warnings: null }));
    const r = await cli(
      engine,
      'service', 'update', '-d', '--image', 'nginx:2', '--env-add', 'B=3', '--env-add', 'C=4', '--env-rm', 'A', '--label-add', 'new=1', '--label-rm', 'drop',
      '--constraint-add', 'node.labels.zone==a', '--constraint-rm', 'node.role==worker', '--publish-rm', '80', '--publish-add', 'published=9090,target=90,mode=host',
      '--replicas', '5', '--force', '--update-order', 'start-first', '--init=true', 'web',
    );
    assert.deepEqual(r, { code: 0, out: 'web\n', err: '' });
    assert.deepEqual(engine.calls(), ['GET /services/web?insertDefaults=false', 'GET /distribution/nginx:2/json', `POST /services/${SID}/update?registryAuthFrom=spec&version=42`]);
    assert.equal(
      body(engine, `/services/${SID}/update`),
      `{"Name":"web","Labels":{"keep":"me","new":"1"},"TaskTemplate":{"ContainerSpec":{"Image":"nginx:2@${DIGEST}","Env":["B=3","C=4"],"Init":true,"DNSConfig":{},"Isolation":"default"},` +
        '"Resources":{"Limits":{},"Reservations":{}},"Placement":{"Constraints":["node.labels.zone==a"],"Platforms":[{"Architecture":"amd64","OS":"linux"}]},"ForceUpdate":2,"Runtime":"container"},' +
        '"Mode":{"Replicated":{"Replicas":5}},"UpdateConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"start-first"},' +
        '"EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":90,"PublishedPort":9090,"PublishMode":"host"}]}}\n',
    );
  });

  it('update --rollback: rollback=previous, no other flag allowed; a stale version is the daemon’s error', async () => {
    engine.on('GET /services/web', (c) => c.json(200, current())).on(`POST /services/${SID}/update`, (c) => c.json(200, {}));
    let r = await cli(engine, 'service', 'update', '--rollback', '-d', 'web');
    assert.deepEqual(r, { code: 0, out: 'web\n', err: '' });
    assert.equal(engine.calls()[1], `POST /services/${SID}/update?registryAuthFrom=spec&rollback=previous&version=42`);
    r = await cli(engine, 'service', 'update', '--rollback', '--replicas', '2', 'web');
    assert.deepEqual(r, { code: 1, out: '', err: 'other flags may not be combined with --rollback\n' });
    engine.on(`POST /services/${SID}/update`, (c) => c.json(500, { message: 'rpc error: code = Unknown desc = update out of sequence' }));
    r = await cli(engine, 'service', 'update', '-d', '--force', 'web');
    assert.deepEqual(r, { code: 1, out: '', err: 'Error response from daemon: rpc error: code = Unknown desc = update out of sequence\n' });
  });

  it('rollback: rollback=previous with the current spec, then the progress (rollback: manually requested rollback)', async () => {
    let n = 0;
    engine
      .on('GET /services/web', (c) => {
        n++;
        const s = current();
        s.Spec.Mode = { Replicated: { Replicas: 1 } };
        s.Spec.UpdateConfig = { Parallelism: 1, Monitor: 1, MaxFailureRatio: 0, Order: 'stop-first' };
        if (n > 1) s.UpdateStatus = { State: n > 2 ? 'rollback_completed' : 'rollback_started', Message: n > 2 ? 'rollback completed' : 'manually requested rollback' };
        c.json(200, s);
      })
      .on(`POST /services/${SID}/update`, (c) => c.json(200, {}))
      .on('GET /tasks', (c) => c.json(200, [{ ID: 't', Slot: 1, DesiredState: 'running', Status: { State: 'running' } }]))
      .on('GET /nodes', (c) => c.json(200, []));
    const r = await cli(engine, 'service', 'rollback', 'web');
    assert.equal(r.code, 0, r.err);
    assert.equal(engine.calls()[1], `POST /services/${SID}/update?rollback=previous&version=42`);
    assert.ok(r.out.startsWith('web\nrollback: manually requested rollback\noverall progress: rolling back update: 0 out of 1 tasks\n'), r.out);
    assert.ok(r.out.endsWith('verify: Service web converged\n'), r.out);
  });

  it('scale: replicas set in the current spec, "web scaled to 5", errors per argument', async () => {
    engine.on('GET /services/web', (c) => c.json(200, current())).on(`POST /services/${SID}/update`, (c) => c.json(200, {}));
    engine.on('GET /services/glob', (c) => c.json(200, { ...current(), Spec: { ...current().Spec, Mode: { Global: {} } } }));
    const r = await cli(engine, 'service', 'scale', '-d', 'web=5', 'api=x', 'glob=2');
    assert.deepEqual(r, {
      code: 1,
      out: 'web scaled to 5\n',
      err: 'api: invalid replicas value x: strconv.ParseUint: parsing "x": invalid syntax\nglob: scale can only be used with replicated or replicated-job mode\n',
    });
    assert.equal(engine.calls()[1], `POST /services/${SID}/update?version=42`);
    assert.ok(body(engine, `/services/${SID}/update`).includes('"Mode":{"Replicated":{"Replicas":5}}'));
    const bad = await cli(engine, 'service', 'scale', 'web');
    assert.equal(bad.code, 1);
    assert.ok(bad.err.startsWith("invalid scale specifier 'web'.\nSee 'shoal service scale --help'."), bad.err);
  });

  it('rm: by the name typed; errors after the successes', async () => {
    engine.on('DELETE /services/web', (c) => c.json(200, {})).on('DELETE /services/nosuch', (c) => c.json(404, { message: 'service nosuch not found' }));
    const r = await cli(engine, 'service', 'rm', 'nosuch', 'web');
    assert.deepEqual(r, { code: 1, out: 'web\n', err: 'Error response from daemon: service nosuch not found\n' });
  });

  it('ls: status=true (not with -q), filters passed on, the table', async () => {
    const s = current();
    s.ServiceStatus = { RunningTasks: 2, DesiredTasks: 3, CompletedTasks: 0 };
    s.Endpoint = { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }] };
    engine.on('GET /services', (c) => c.json(200, [s]));
    const r = await cli(engine, 'service', 'ls', '-f', 'name=we');
    assert.equal(r.out, 'ID             NAME      MODE         REPLICAS   IMAGE     PORTS\nsvc000000000   web       replicated   2/3        nginx:1   *:8080->80/tcp\n');
    assert.equal(engine.calls()[0], `GET /services?filters=${encodeURIComponent('{"name":{"we":true}}')}&status=true`);
    const q = await cli(engine, 'service', 'ls', '-q');
    assert.equal(q.out, 'svc000000000\n');
    assert.equal(engine.calls()[1], 'GET /services');
  });

  it('ls: without ServiceStatus (old daemons) the replicas are counted from tasks on nodes that are not down', async () => {
    engine
      .on('GET /services', (c) => c.json(200, [current()]))
      .on('GET /tasks', (c) =>
        c.json(200, [
          { ID: 'a', ServiceID: SID, NodeID: 'n1', DesiredState: 'running', Status: { State: 'running' } },
          { ID: 'b', ServiceID: SID, NodeID: 'n2', DesiredState: 'running', Status: { State: 'running' } },
          { ID: 'c', ServiceID: SID, NodeID: 'n1', DesiredState: 'shutdown', Status: { State: 'shutdown' } },
        ]),
      )
      .on('GET /nodes', (c) => c.json(200, [{ ID: 'n1', Status: { State: 'ready' } }, { ID: 'n2', Status: { State: 'down' } }]));
    const r = await cli(engine, 'service', 'ls', '--format', '{{.Replicas}}');
    assert.equal(r.out, '1/2\n');
  });

  it('ps: services found by ID then name, tasks filtered, names resolved once, history indented', async () => {
    const t = (id: string, slot: number, state: string, desired: string, created: string): unknown => ({
      ID: id,
      CreatedAt: created,
      ServiceID: SID,
      Slot: slot,
      NodeID: 'node1',
      Spec: { ContainerSpec: { Image: 'nginx:1@' + DIGEST } },
      Status: { Timestamp: new Date(Date.now() - 3 * 3600e3).toISOString(), State: state },
      DesiredState: desired,
    });
    engine
      .on('GET /services', (c) => c.json(200, c.req.query.get('filters')?.includes('"name"') === true ? [current()] : []))
      .on('GET /tasks', (c) => c.json(200, [t('old111111111aaaa', 1, 'shutdown', 'shutdown', '2026-03-01T10:00:00Z'), t('new111111111aaaa', 1, 'running', 'running', '2026-03-01T11:00:00Z')]))
      .on(`GET /services/${SID}`, (c) => c.json(200, current()))
      .on('GET /nodes/node1', (c) => c.json(200, { ID: 'node1', Spec: { Name: '', Labels: {} }, Description: { Hostname: 'manager1' } }));
    const r = await cli(engine, 'service', 'ps', '-f', 'desired-state=running', 'web');
    assert.equal(
      r.out,
      'ID             NAME        IMAGE     NODE       DESIRED STATE   CURRENT STATE          ERROR     PORTS\n' +
        'new111111111   web.1       nginx:1   manager1   Running         Running 3 hours ago              \n' +
        'old111111111    \\_ web.1   nginx:1   manager1   Shutdown        Shutdown 3 hours ago             \n',
    );
    assert.deepEqual(engine.calls(), [
      `GET /services?filters=${encodeURIComponent('{"id":{"web":true}}')}`,
      `GET /services?filters=${encodeURIComponent('{"name":{"web":true}}')}`,
      `GET /tasks?filters=${encodeURIComponent(`{"desired-state":{"running":true},"service":{"${SID}":true}}`)}`,
      `GET /services/${SID}?insertDefaults=false`,
      'GET /nodes/node1',
    ]);
    const none = await cli(engine, 'service', 'ps', 'nosuch');
    assert.deepEqual(none, { code: 1, out: '', err: 'no such service: nosuch\n' });
  });

  it('inspect: insertDefaults=true, indented JSON, "Error: no such service"; --pretty; --pretty with --format refused', async () => {
    engine.on('GET /services/web', (c) => c.json(200, current())).on('GET /services/nosuch', (c) => c.json(404, { message: 'service nosuch not found' }));
    const r = await cli(engine, 'service', 'inspect', 'web', 'nosuch');
    assert.equal(r.code, 1);
    assert.ok(r.out.startsWith('[\n    {\n        "ID": "svc0000000000000000000001",\n        "Version": {\n            "Index": 42\n        },'), r.out);
    assert.equal(r.err, 'Error: no such service: nosuch\n');
    assert.equal(engine.calls()[0], 'GET /services/web?insertDefaults=true');
    const f = await cli(engine, 'service', 'inspect', '-f', '{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}}', 'web');
    assert.equal(f.out, 'web 3\n');
    const p = await cli(engine, 'service', 'inspect', '--pretty', 'web');
    assert.ok(p.out.startsWith('\nID:\t\tsvc0000000000000000000001\nName:\t\tweb\nLabels:\n drop=x\n keep=me\nService Mode:\tReplicated\n Replicas:\t3\n'), p.out);
    const none = await cli(engine, 'service', 'inspect', '--pretty', 'web', 'nosuch');
    assert.deepEqual(none, { code: 1, out: '', err: 'Error: no such service: nosuch\n' });
    const both = await cli(engine, 'service', 'inspect', '--pretty', '-f', '{{.ID}}', 'web');
    assert.deepEqual(both, { code: 1, out: '', err: '--format is incompatible with human friendly format\n' });
  });
});
