import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { parsePortBindings, resolvePortBindings } from './port-bindings.js';

const body = (PortBindings: unknown): unknown => ({ HostConfig: { PortBindings } });

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isShoalError(e, 'InvalidArgument'), String(e));
    assert.match(e.message, message);
    return true;
  });
}

describe('HostConfig.PortBindings as host ports', () => {
  it('reads what the docker CLI sends for -p', () => {
    assert.deepEqual(parsePortBindings(body({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }], '81/tcp': [{ HostPort: '' }] })), [
      { protocol: 'tcp', published: 8080, target: 80 },
      { protocol: 'udp', published: 5353, target: 53 },
      { protocol: 'tcp', published: 0, target: 81 },
    ]);
    assert.deepEqual(parsePortBindings(body({ '81': [{ HostPort: '9' }] })), [{ protocol: 'tcp', published: 9, target: 81 }]);
    assert.deepEqual(parsePortBindings({}), []);
    assert.deepEqual(parsePortBindings(body(null)), []);
    // docker compose sends both address families for one port: kept once.
    assert.deepEqual(parsePortBindings(body({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }] })), [{ protocol: 'tcp', published: 8080, target: 80 }]);
  });

  it('refuses what cannot be published, naming the field', () => {
    rejects(() => parsePortBindings(body({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] })), /^HostConfig\.PortBindings\["80\/tcp"\]\[0\]\.HostIp: publishing on one host address \(127\.0\.0\.1\) is not supported/);
    rejects(() => parsePortBindings(body({ '80/sctp': [{ HostPort: '1' }] })), /sctp ports are not supported/);
    rejects(() => parsePortBindings(body({ http: [] })), /invalid container port "http"/);
    rejects(() => parsePortBindings(body({ '80/tcp': [{ HostPort: '70000' }] })), /\.HostPort: invalid host port "70000"/);
    rejects(() => parsePortBindings(body({ '80/tcp': [{ HostPort: '8080' }], '81/tcp': [{ HostPort: '8080' }] })), /host port 8080\/tcp is bound twice/);
    rejects(() => parsePortBindings(body([])), /HostConfig\.PortBindings: expected an object/);
  });

  it('gives a binding without HostPort a port nobody holds', async () => {
    const [m] = await resolvePortBindings([{ protocol: 'tcp', published: 0, target: 80 }]);
    assert.ok(m !== undefined && m.published > 0);
    // The port is free: it can be listened on.
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(m.published, resolve);
    });
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    const [u] = await resolvePortBindings([{ protocol: 'udp', published: 0, target: 53 }]);
    assert.ok(u !== undefined && u.published > 0 && u.protocol === 'udp');
  });
});
