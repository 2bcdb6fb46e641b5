/** The service/task client calls: what reaches the daemon, and the spec encoding that mirrors Go's marshalling. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from './client.js';
import type { EngineClient } from './client.js';
import {
  distributionInspect,
  encodeServiceSpec,
  goJSON,
  serviceCreate,
  serviceInspect,
  serviceList,
  serviceLogs,
  serviceRemove,
  serviceUpdate,
  sortedFilters,
  taskList,
} from './services.js';
import type { ServiceSpec } from './service-types.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('service client calls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-svc-client-'));
  const socket = join(dir, 'd.sock');
  const seen: Seen[] = [];
  let server: Server;
  let client: EngineClient;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: (req.url ?? '').replace(/^\/v[\d.]+/, ''), headers: req.headers, body: Buffer.concat(chunks).toString() });
        const path = (req.url ?? '').split('?')[0] ?? '';
        if (path.endsWith('/_ping')) {
          res.writeHead(200, { 'Api-Version': '1.47' });
          res.end();
        } else if (path.endsWith('/logs')) {
          res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
          res.end('x');
        } else if (req.method === 'POST' && path.endsWith('/create')) {
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end('{"ID":"s1","Warnings":null}');
        } else if (path.endsWith('/update') || req.method === 'DELETE') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{}');
        } else if (path.includes('/distribution/')) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"Descriptor":{"digest":"sha256:aa"},"Platforms":[]}');
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(path.endsWith('/services') || path.endsWith('/tasks') ? 'null' : '{"ID":"s1"}');
        }
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    client = createClient({ host: `unix://${socket}`, apiVersion: '1.47' });
  });
  after(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends queries in Go’s order (sorted keys) and filters as sorted JSON', async () => {
    seen.length = 0;
    assert.deepEqual(await serviceList(client, { filters: { name: { web: true }, label: { b: true, a: true } }, status: true }), []);
    await serviceInspect(client, 'web');
    await serviceInspect(client, 'web', { insertDefaults: true });
    assert.deepEqual(await taskList(client, { service: { s1: true }, '_up-to-date': { true: true } }), []);
    await serviceUpdate(client, 's1', { Labels: null, TaskTemplate: {}, Mode: {} }, { version: 7, registryAuthFrom: 'spec', rollback: 'previous', registryAuth: 'e30=' });
    await serviceRemove(client, 'web');
    await serviceLogs(client, 'web', { stdout: true, stderr: true, details: true, tail: 'all', since: '' }).then((r) => r.resume());
    await distributionInspect(client, 'me/app:2', 'e30=');
    assert.deepEqual(
      seen.filter((s) => !s.url.startsWith('/_ping')).map((s) => `${s.method} ${decodeURIComponent(s.url)}`),
      [
        'GET /services?filters={"label":{"a":true,"b":true},"name":{"web":true}}&status=true',
        'GET /services/web?insertDefaults=false',
        'GET /services/web?insertDefaults=true',
        'GET /tasks?filters={"_up-to-date":{"true":true},"service":{"s1":true}}',
        'POST /services/s1/update?registryAuthFrom=spec&rollback=previous&version=7',
        'DELETE /services/web',
        'GET /services/web/logs?details=1&stderr=1&stdout=1&tail=all',
        'GET /distribution/me/app:2/json',
      ],
    );
    assert.equal(seen.find((s) => s.url.includes('/update'))?.headers['x-registry-auth'], 'e30=');
    assert.equal(seen.find((s) => s.url.includes('/distribution'))?.headers['x-registry-auth'], 'e30=');
  });

  it('create sends the encoded spec (json.Encoder’s trailing newline included) as application/json and returns {ID, Warnings}', async () => {
    seen.length = 0;
    const res = await serviceCreate(client, { Name: 'web', Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'a<b' } }, Mode: { Replicated: {} } });
    assert.deepEqual(res, { ID: 's1', Warnings: null });
    const req = seen.find((s) => s.url === '/services/create');
    assert.equal(req?.headers['content-type'], 'application/json');
    assert.equal(req?.body, '{"Name":"web","Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"a\\u003cb"},"ForceUpdate":0},"Mode":{"Replicated":{}}}\n');
  });

  it('encodeServiceSpec: a spec read from the daemon goes back as the docker CLI re-marshals it', () => {
    const fromDaemon = {
      Name: 'web',
      Labels: null,
      TaskTemplate: {
        ContainerSpec: {
          Image: 'img',
          Labels: {},
          Env: [],
          Init: false,
          StopGracePeriod: 10_000_000_000,
          Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
          Healthcheck: { Test: ['NONE'] },
          Secrets: [{ File: { Name: 's', UID: '0', GID: '0', Mode: 292 }, SecretID: 'id', SecretName: 's' }],
          Unknown: 'dropped',
        },
        Resources: { Limits: { NanoCPUs: 0 }, Reservations: {} },
        RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 },
        Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.z' } }], Platforms: [{ Architecture: '', OS: 'linux' }] },
        Networks: [{ Target: 'n1', Aliases: [] }],
        ForceUpdate: 3,
        Runtime: 'container',
      },
      Mode: { Replicated: { Replicas: 0 } },
      UpdateConfig: { Parallelism: 0, FailureAction: 'pause', Monitor: 0, MaxFailureRatio: 0, Order: 'stop-first' },
      EndpointSpec: { Mode: 'vip', Ports: [] },
    } as unknown as ServiceSpec;
    assert.equal(
      goJSON(encodeServiceSpec(fromDaemon)),
      '{"Name":"web","Labels":null,"TaskTemplate":{"ContainerSpec":{"Image":"img","Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false},' +
        '"Init":false,"StopGracePeriod":10000000000,"Healthcheck":{"Test":["NONE"]},"Secrets":[{"File":{"Name":"s","UID":"0","GID":"0","Mode":292},"SecretID":"id","SecretName":"s"}]},' +
        '"Resources":{"Limits":{},"Reservations":{}},"RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},' +
        '"Placement":{"Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.z"}}],"Platforms":[{"OS":"linux"}]},"Networks":[{"Target":"n1"}],"ForceUpdate":3,"Runtime":"container"},' +
        '"Mode":{"Replicated":{"Replicas":0}},"UpdateConfig":{"Parallelism":0,"FailureAction":"pause","MaxFailureRatio":0,"Order":"stop-first"},"EndpointSpec":{"Mode":"vip"}}',
    );
  });

  it('a daemon’s `HealthCheck` is read as `Healthcheck`, as Go’s case-insensitive decoding reads it', () => {
    const spec = { Labels: {}, TaskTemplate: { ContainerSpec: { Image: 'i', HealthCheck: { Test: ['CMD', 'true'], Interval: 1e9 } } }, Mode: { Global: {} } } as unknown as ServiceSpec;
    assert.equal(
      goJSON(encodeServiceSpec(spec)),
      '{"Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"i","Healthcheck":{"Test":["CMD","true"],"Interval":1000000000}},"ForceUpdate":0},"Mode":{"Global":{}}}',
    );
  });

  it('sortedFilters drops an empty map', () => {
    assert.equal(sortedFilters({}), undefined);
    assert.deepEqual(Object.keys(sortedFilters({ z: { a: true }, a: { z: true } }) ?? {}), ['a', 'z']);
  });
});
