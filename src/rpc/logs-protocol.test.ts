import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePublishRequest, decodeSubscriptionMessage, decodeSubscriptionsRequest } from './logs-protocol.js';

void describe('logs protocol checks', () => {
  void it('takes well-formed messages and keeps only the known fields', () => {
    assert.deepEqual(decodeSubscriptionsRequest({ sessionId: 's' }), { sessionId: 's' });
    assert.deepEqual(
      decodePublishRequest({ sessionId: 's', id: 'x', messages: [{ taskId: 't', stream: 'stderr', time: '2024-01-01T00:00:00.5Z', line: 'é' }], done: true }),
      { sessionId: 's', id: 'x', messages: [{ taskId: 't', stream: 'stderr', time: '2024-01-01T00:00:00.5Z', line: 'é' }], done: true },
    );
    assert.deepEqual(decodeSubscriptionMessage({ type: 'close', id: 'x' }), { type: 'close', id: 'x' });
    assert.deepEqual(
      decodeSubscriptionMessage({ type: 'subscribe', id: 'x', taskIds: ['a'], follow: true, tail: 3, since: 1.5, timestamps: false, details: true, streams: ['stdout'] }),
      { type: 'subscribe', id: 'x', taskIds: ['a'], follow: true, tail: 3, since: 1.5, timestamps: false, details: true, streams: ['stdout'] },
    );
  });

  void it('names the field that does not fit', () => {
    const bad = (f: () => unknown, field: RegExp): void => assert.throws(f, (e: Error & { code?: string }) => e.code === 'rpc.bad_request' && field.test(e.message));
    bad(() => decodeSubscriptionsRequest({}), /\.sessionId: must be a string/);
    bad(() => decodePublishRequest({ sessionId: 's', id: 'x', messages: [{ taskId: 't', stream: 'stdout', time: 'yesterday', line: '' }] }), /messages\[0\]\.time: not a time/);
    bad(() => decodePublishRequest({ sessionId: 's', id: 'x', messages: [], done: 'yes' }), /\.done: must be a boolean/);
    bad(() => decodeSubscriptionMessage({ type: 'subscribe', id: 'x', taskIds: [1] }), /taskIds\[0\]/);
    bad(() => decodeSubscriptionMessage({ type: 'subscribe', id: 'x', taskIds: [], tail: -1 }), /\.tail: must be a non-negative integer/);
    bad(() => decodeSubscriptionMessage({ type: 'subscribe', id: 'x', taskIds: [], streams: ['stdin'] }), /streams\[0\]/);
    bad(() => decodeSubscriptionMessage({ type: 'open', id: 'x' }), /\.type: unknown "open"/);
  });
});
