import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alreadyExists, conflict, failedPrecondition, internal, invalidArgument, notFound, outOfSequence, ShoalError, unavailable } from '../api/errors.js';
import { compareVersions, checkVersion, splitVersion } from './api-version.js';
import { errorBody, toHttpError } from './errors.js';

describe('toHttpError', () => {
  it('maps kinds to statuses as dockerd does', () => {
    assert.deepEqual(toHttpError(notFound('x', 'node a not found')), { status: 404, message: 'node a not found' });
    assert.equal(toHttpError(invalidArgument('x', 'm')).status, 400);
    assert.equal(toHttpError(failedPrecondition('x', 'm')).status, 400);
    assert.equal(toHttpError(alreadyExists('x', 'm')).status, 409);
    assert.equal(toHttpError(conflict('x', 'm')).status, 409);
    assert.equal(toHttpError(unavailable('x', 'm')).status, 503);
    assert.equal(toHttpError(new ShoalError('Canceled', 'x', 'm')).status, 500);
    assert.equal(toHttpError(internal('x', 'm')).status, 500);
  });

  it('turns a stale version into dockerd’s 500 gRPC text', () => {
    assert.deepEqual(toHttpError(outOfSequence()), {
      status: 500,
      message: 'rpc error: code = Unknown desc = update out of sequence',
    });
  });

  it('gives non-ShoalErrors a 500 with the first message line, never the stack', () => {
    const e = new TypeError('boom\nsecond line');
    const h = toHttpError(e);
    assert.equal(h.status, 500);
    assert.equal(h.message, 'boom');
    assert.equal(toHttpError('a string').message, 'internal server error');
    assert.equal(toHttpError(new Error('')).message, 'internal server error');
  });

  it('serialises the body like Go’s json.Encoder', () => {
    assert.equal(errorBody('a "b" <c>'), '{"message":"a \\"b\\" <c>"}\n');
  });
});

describe('api versions', () => {
  it('compares numerically', () => {
    assert.equal(compareVersions('1.9', '1.10'), -1);
    assert.equal(compareVersions('1.47', '1.47'), 0);
    assert.equal(compareVersions('1.47.0', '1.47'), 0);
    assert.equal(compareVersions('2.0', '1.99'), 1);
  });

  it('splits the /vX.Y prefix', () => {
    assert.deepEqual(splitVersion('/v1.47/nodes/x'), { version: '1.47', path: '/nodes/x' });
    assert.deepEqual(splitVersion('/v1.47'), { version: '1.47', path: '/' });
    assert.deepEqual(splitVersion('/nodes'), { version: undefined, path: '/nodes' });
    assert.deepEqual(splitVersion('/volumes'), { version: undefined, path: '/volumes' });
    assert.deepEqual(splitVersion('/v1.x/nodes'), { version: undefined, path: '/v1.x/nodes' });
  });

  it('checks the range with dockerd wording', () => {
    assert.equal(checkVersion(undefined), '1.47');
    assert.equal(checkVersion('1.24'), '1.24');
    assert.equal(checkVersion('1.41'), '1.41');
    assert.throws(() => checkVersion('1.99'), { message: 'client version 1.99 is too new. Maximum supported API version is 1.47' });
    assert.throws(() => checkVersion('1.12'), {
      message: 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    });
  });
});
