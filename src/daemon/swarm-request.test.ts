import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { parseInitRequest, parseJoinRequest } from './swarm-request.js';

const TOKEN = `SWMTKN-1-${'a'.repeat(50)}-${'b'.repeat(25)}`;

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isShoalError(e, 'InvalidArgument'), String(e));
    return e.message;
  }
  assert.fail('expected InvalidArgument');
}

describe('swarm join request', () => {
  it('reads what the docker CLI sends, with defaults for what it leaves empty', () => {
    const r = parseJoinRequest({ ListenAddr: '', AdvertiseAddr: '10.0.0.2', DataPathAddr: '', RemoteAddrs: [' 10.0.0.1:2377 '], JoinToken: TOKEN, Availability: 'drain' });
    assert.deepEqual(r, { listenAddr: '0.0.0.0:2377', advertiseAddr: '10.0.0.2', dataPathAddr: '', remoteAddrs: ['10.0.0.1:2377'], joinToken: TOKEN, availability: 'drain' });
    assert.equal(parseJoinRequest({ RemoteAddrs: ['m:2377'], JoinToken: TOKEN }).availability, undefined);
  });

  it('names the bad field', () => {
    assert.match(refused(() => parseJoinRequest([])), /expected a JSON object/);
    assert.match(refused(() => parseJoinRequest({ JoinToken: TOKEN })), /^RemoteAddrs: at least one manager address/);
    assert.match(refused(() => parseJoinRequest({ RemoteAddrs: [], JoinToken: TOKEN })), /^RemoteAddrs:/);
    assert.match(refused(() => parseJoinRequest({ RemoteAddrs: [7], JoinToken: TOKEN })), /^RemoteAddrs\[0\]: expected a host:port string/);
    assert.match(refused(() => parseJoinRequest({ RemoteAddrs: ['m:1'] })), /^JoinToken: a join token is needed/);
    assert.match(refused(() => parseJoinRequest({ RemoteAddrs: ['m:1'], JoinToken: 5 })), /^JoinToken: expected a string/);
    assert.match(refused(() => parseJoinRequest({ RemoteAddrs: ['m:1'], JoinToken: TOKEN, Availability: 'busy' })), /^Availability: invalid value "busy"/);
    assert.match(refused(() => parseJoinRequest({ RemoteAddrs: ['m:1'], JoinToken: TOKEN, AdvertiseAddr: {} })), /^AdvertiseAddr: expected a string/);
  });

  it('init still reads DataPathPort as a non-negative integer (its range is the cluster’s check)', () => {
    assert.equal(parseInitRequest({ DataPathPort: 4790 }).dataPathPort, 4790);
    assert.match(refused(() => parseInitRequest({ DataPathPort: -1 })), /^DataPathPort: expected a non-negative integer/);
  });
});
