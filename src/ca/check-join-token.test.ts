import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { cryptoRandom } from '../lib/random-crypto.js';
import { checkJoinToken } from './check-join-token.js';
import { JOIN_TOKEN_REJECTED } from './errors.js';
import { formatJoinToken, newTokenSecret, pinnedTrustRoot } from './join-token.js';
import { createRootCA, type RootCA } from './root-ca.js';

const rejected = (e: unknown) =>
  isShoalError(e, 'InvalidArgument') && e.code === 'join_token.rejected' && e.message === JOIN_TOKEN_REJECTED;

void describe('checkJoinToken', () => {
  let ca: RootCA;
  let other: RootCA;
  let secrets: { caCertPem: string; workerSecret: string; managerSecret: string };
  before(async () => {
    ca = await createRootCA({ now: Date.now() });
    other = await createRootCA({ now: Date.now() });
    secrets = {
      caCertPem: ca.certPem,
      workerSecret: newTokenSecret(cryptoRandom),
      managerSecret: newTokenSecret(cryptoRandom),
    };
  });

  void it('tells a manager token from a worker token', () => {
    assert.equal(checkJoinToken(formatJoinToken(ca.certPem, secrets.workerSecret), secrets), 'worker');
    assert.equal(checkJoinToken(formatJoinToken(ca.certPem, secrets.managerSecret), secrets), 'manager');
  });

  void it('refuses an unknown secret', () => {
    assert.throws(() => checkJoinToken(formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom)), secrets), rejected);
  });

  void it('rotation: the old token fails at once, the new one works, the other role is untouched', () => {
    const oldWorker = formatJoinToken(ca.certPem, secrets.workerSecret);
    const rotated = { ...secrets, workerSecret: newTokenSecret(cryptoRandom) };
    assert.throws(() => checkJoinToken(oldWorker, rotated), rejected);
    assert.equal(checkJoinToken(formatJoinToken(ca.certPem, rotated.workerSecret), rotated), 'worker');
    assert.equal(checkJoinToken(formatJoinToken(ca.certPem, rotated.managerSecret), rotated), 'manager');
  });

  void it('refuses the right secret pinned to another CA (e.g. after a root rotation)', () => {
    assert.throws(() => checkJoinToken(formatJoinToken(other.certPem, secrets.managerSecret), secrets), rejected);
  });

  void it('refuses a malformed token as "invalid join token"', () => {
    assert.throws(
      () => checkJoinToken('SWMTKN-1-nope', secrets),
      (e) => isShoalError(e, 'InvalidArgument') && e.message.startsWith('invalid join token'),
    );
  });

  void it('refuses to run with equal manager and worker secrets', () => {
    const same = { ...secrets, workerSecret: secrets.managerSecret };
    assert.throws(
      () => checkJoinToken(formatJoinToken(ca.certPem, secrets.managerSecret), same),
      (e) => isShoalError(e, 'FailedPrecondition'),
    );
  });
});

void describe('pinnedTrustRoot', () => {
  let ca: RootCA;
  let other: RootCA;
  before(async () => {
    ca = await createRootCA({ now: Date.now() });
    other = await createRootCA({ now: Date.now() });
  });

  void it('hands a joiner the CA the token pins, re-encoded', () => {
    const token = formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom));
    assert.equal(pinnedTrustRoot(token, ca.certPem.replace(/\n/g, '\r\n')), ca.certPem);
  });

  void it('refuses a CA the token does not pin, with swarmkit’s message', () => {
    const token = formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom));
    assert.throws(
      () => pinnedTrustRoot(token, other.certPem),
      (e) => isShoalError(e, 'FailedPrecondition') && e.message.startsWith('remote CA does not match fingerprint'),
    );
  });

  void it('refuses a bundle with anything but certificates in it', () => {
    const token = formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom));
    assert.throws(() => pinnedTrustRoot(token, ca.certPem + ca.keyPem), (e) => isShoalError(e, 'InvalidArgument'));
    assert.throws(
      () => pinnedTrustRoot(token, ca.certPem.replace(/CERTIFICATE/g, 'TRUSTED CERTIFICATE')),
      (e) => isShoalError(e, 'InvalidArgument'),
    );
  });
});
