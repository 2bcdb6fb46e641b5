import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { decodeJoinRequest, decodeJoinResponse, decodeRenewRequest } from './ca-protocol.js';

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isShoalError(e), String(e));
    return e.message;
  }
  assert.fail('expected a refusal');
}

describe('ca protocol', () => {
  it('decodes a join request, dropping empty optional fields', () => {
    assert.deepEqual(decodeJoinRequest({ token: 't', csrPem: 'c', hostname: 'h', availability: '', advertiseAddr: '', dataPathAddr: '10.0.0.3' }), {
      token: 't',
      csrPem: 'c',
      hostname: 'h',
      dataPathAddr: '10.0.0.3',
    });
    assert.equal(decodeJoinRequest({ token: 't', csrPem: 'c', hostname: 'h', availability: 'pause' }).availability, 'pause');
  });

  it('names the bad field of a request or a reply', () => {
    assert.equal(refused(() => decodeJoinRequest({ csrPem: 'c', hostname: 'h' })), 'join request.token: must be a string');
    assert.match(refused(() => decodeJoinRequest({ token: 't', csrPem: 'c', hostname: 'h', availability: 'x' })), /^join request\.availability: must be active, pause or drain/);
    assert.equal(refused(() => decodeRenewRequest([])), 'renew request: must be an object');
    const reply = { nodeId: 'n', clusterId: 'c', certPem: 'p', rootCertPem: 'r', managers: ['m:2377'], role: 'worker' };
    assert.deepEqual(decodeJoinResponse(reply), reply);
    assert.match(refused(() => decodeJoinResponse({ ...reply, role: 'boss' })), /^join reply\.role: unknown role/);
    assert.match(refused(() => decodeJoinResponse({ ...reply, managers: [1] })), /^join reply\.managers\[0\]: must be a string/);
  });
});
