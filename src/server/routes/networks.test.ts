/**
 * `POST /networks/{id}/connect` and `/disconnect` over a real server on a temp socket, against fake container and
 * network backends that record what they were asked: bad bodies are refused naming the field before any backend
 * call, the container is looked up before the network (dockerd's order, with its messages), the validated request
 * reaches the backend, a forced disconnect from a network that is gone still reaches it, and the backend's
 * "endpoint ... already exists" becomes dockerd's 403.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { notFound } from '../../api/errors.js';
import { endpointExists, networkNotFound, type NetworkConnectRequest, type NetworkDisconnectRequest } from '../../api/local-network.js';
import type { Network } from '../../api/types.js';
import { captureLogger } from '../../lib/logger.js';
import { Router } from '../router.js';
import { startApiServer } from '../server.js';
import type { ApiServer } from '../server.js';
import type { ContainerBackend, NetworkBackend } from './backend.js';
import { networkRoutes } from './networks.js';

interface Reply {
  status: number;
  body: string;
}

function post(socketPath: string, path: string, body: string | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
    const req = request({ socketPath, method: 'POST', path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const message = (r: Reply): string => (JSON.parse(r.body) as { message: string }).message;

const NET: Network = {
  Name: 'front',
  Id: 'f'.repeat(64),
  Created: '2024-01-01T00:00:00Z',
  Scope: 'local',
  Driver: 'bridge',
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Containers: {},
  Options: {},
  Labels: {},
};

describe('POST /networks/{id}/connect and /disconnect', () => {
  let dir: string;
  let server: ApiServer;
  let bare: ApiServer;
  let sock: string;
  let bareSock: string;
  /** What the backends were asked, in order. */
  let calls: string[];
  let connected: { network: Network; req: NetworkConnectRequest }[];
  let disconnected: { network: Network | undefined; ref: string; req: NetworkDisconnectRequest }[];
  let connectError: Error | undefined;

  const containers = {
    inspect: (ref: string) => {
      calls.push(`inspect container ${ref}`);
      if (ref !== 'web') throw notFound('container.not_found', `No such container: ${ref}`);
      return { Id: 'c'.repeat(64) };
    },
    networkConnect: (network: Network, req: NetworkConnectRequest) => {
      calls.push(`connect ${network.Name}`);
      if (connectError !== undefined) return Promise.reject(connectError);
      connected.push({ network, req });
      return Promise.resolve();
    },
    networkDisconnect: (network: Network | undefined, ref: string, req: NetworkDisconnectRequest) => {
      calls.push(`disconnect ${ref}`);
      disconnected.push({ network, ref, req });
      return Promise.resolve();
    },
  } as unknown as ContainerBackend;
  const networks = {
    inspect: (ref: string) => {
      calls.push(`inspect network ${ref}`);
      return ref === 'front' || ref === NET.Id ? Promise.resolve(NET) : Promise.reject(networkNotFound(ref));
    },
  } as unknown as NetworkBackend;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-net-routes-'));
    sock = join(dir, 'api.sock');
    bareSock = join(dir, 'bare.sock');
    const router = new Router();
    networkRoutes(router, { containers, networks });
    server = await startApiServer({ router, logger: captureLogger(), engineVersion: '0.1.0', swarmHeader: () => 'inactive', listen: [`unix://${sock}`] });
    // A container backend without connect (a daemon without networking for containers).
    const bareRouter = new Router();
    const withoutConnect = { inspect: (ref: string) => containers.inspect(ref) } as unknown as ContainerBackend;
    networkRoutes(bareRouter, { containers: withoutConnect, networks });
    bare = await startApiServer({ router: bareRouter, logger: captureLogger(), engineVersion: '0.1.0', swarmHeader: () => 'inactive', listen: [`unix://${bareSock}`] });
  });
  after(async () => {
    await server.close();
    await bare.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    calls = [];
    connected = [];
    disconnected = [];
    connectError = undefined;
  });

  it('refuses bad connect bodies with 400 naming the field, before asking any backend', async () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^invalid JSON: got EOF/],
      ['{', /^invalid JSON/],
      ['[]', /^connect request: expected a JSON object$/],
      ['{}', /^Container: a container ID or name is required$/],
      ['{"Container":""}', /^Container: a container ID or name is required$/],
      ['{"Container":5}', /^Container: expected a string, got 5$/],
      ['{"Container":"web","EndpointConfig":"x"}', /^EndpointConfig: expected an object, got "x"$/],
      ['{"Container":"web","EndpointConfig":{"Aliases":"www"}}', /^EndpointConfig\.Aliases: expected an array of strings/],
      ['{"Container":"web","EndpointConfig":{"Aliases":["www",7]}}', /^EndpointConfig\.Aliases\[1\]: invalid alias 7$/],
      ['{"Container":"web","EndpointConfig":{"Aliases":["a b"]}}', /^EndpointConfig\.Aliases\[0\]: invalid alias "a b"$/],
      ['{"Container":"web","EndpointConfig":{"IPAMConfig":[]}}', /^EndpointConfig\.IPAMConfig: expected an object/],
      ['{"Container":"web","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.0.0.300"}}}', /^EndpointConfig\.IPAMConfig\.IPv4Address: invalid IPv4 address: 10\.0\.0\.300$/],
      ['{"Container":"web","EndpointConfig":{"IPAMConfig":{"IPv6Address":"fd00::5"}}}', /^EndpointConfig\.IPAMConfig\.IPv6Address: IPv6 is not supported/],
    ];
    for (const [body, want] of cases) {
      const r = await post(sock, '/v1.47/networks/front/connect', body);
      assert.equal(r.status, 400, `${String(body)}: ${r.body}`);
      assert.match(message(r), want, String(body));
    }
    assert.deepEqual(calls, []);
  });

  it('refuses bad disconnect bodies with 400 naming the field', async () => {
    for (const [body, want] of [
      ['{}', /^Container: a container ID or name is required$/],
      ['{"Container":"web","Force":"yes"}', /^Force: expected a boolean, got "yes"$/],
      ['null', /^disconnect request: expected a JSON object$/],
    ] as const) {
      const r = await post(sock, '/v1.47/networks/front/disconnect', body);
      assert.equal(r.status, 400, r.body);
      assert.match(message(r), want);
    }
    assert.deepEqual(calls, []);
  });

  it('looks the container up before the network, with dockerd\'s 404 messages', async () => {
    const noContainer = await post(sock, '/v1.47/networks/nonet/connect', '{"Container":"nope"}');
    assert.equal(noContainer.status, 404);
    assert.equal(message(noContainer), 'No such container: nope');
    assert.deepEqual(calls, ['inspect container nope']);
    calls = [];
    const noNetwork = await post(sock, '/v1.47/networks/nonet/connect', '{"Container":"web"}');
    assert.equal(noNetwork.status, 404);
    assert.equal(message(noNetwork), 'network nonet not found');
    assert.deepEqual(calls, ['inspect container web', 'inspect network nonet']);
  });

  it('connects: 200 with an empty body, the backend gets the resolved network and the validated request', async () => {
    const r = await post(sock, '/v1.47/networks/front/connect', '{"Container":"web","EndpointConfig":{"Aliases":["api","www","api"],"IPAMConfig":{"IPv4Address":"172.17.0.9"},"Links":null,"DriverOpts":null}}');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, '');
    assert.deepEqual(connected, [{ network: NET, req: { Container: 'web', Aliases: ['api', 'www'], IPv4Address: '172.17.0.9' } }]);
    // The docker CLI's body without options: null fields are fine.
    const plain = await post(sock, `/v1.47/networks/${NET.Id}/connect`, '{"Container":"web","EndpointConfig":{"IPAMConfig":null,"Aliases":null}}');
    assert.equal(plain.status, 200, plain.body);
    assert.deepEqual(connected[1]?.req, { Container: 'web', Aliases: [] });
  });

  it('a container already on the network while it runs is dockerd\'s 403', async () => {
    connectError = endpointExists('web', 'front');
    const r = await post(sock, '/v1.47/networks/front/connect', '{"Container":"web"}');
    assert.equal(r.status, 403);
    assert.equal(message(r), 'endpoint with name web already exists in network front');
  });

  it('disconnects; a network that is gone reaches the backend only with Force', async () => {
    const r = await post(sock, '/v1.47/networks/front/disconnect', '{"Container":"web"}');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, '');
    assert.deepEqual(disconnected, [{ network: NET, ref: 'front', req: { Container: 'web', Force: false } }]);
    const gone = await post(sock, '/v1.47/networks/old/disconnect', '{"Container":"web"}');
    assert.equal(gone.status, 404);
    assert.equal(message(gone), 'network old not found');
    assert.equal(disconnected.length, 1);
    const forced = await post(sock, '/v1.47/networks/old/disconnect', '{"Container":"web","Force":true}');
    assert.equal(forced.status, 200, forced.body);
    assert.deepEqual(disconnected[1], { network: undefined, ref: 'old', req: { Container: 'web', Force: true } });
  });

  it('a daemon whose containers cannot be connected answers 503', async () => {
    const r = await post(bareSock, '/v1.47/networks/front/connect', '{"Container":"web"}');
    assert.equal(r.status, 503);
    assert.match(message(r), /cannot connect containers to networks/);
  });
});
