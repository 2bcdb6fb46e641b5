import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanAgo, toEpochMs } from './time.js';

describe('humanAgo', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('says how long ago an Engine API timestamp was', () => {
    assert.equal(humanAgo('2024-05-01T11:55:00.123456789Z', now + 123), '5 minutes ago');
    assert.equal(humanAgo('2024-05-01T11:59:57Z', now), '3 seconds ago');
    assert.equal(humanAgo('2024-05-01T12:00:00Z', now), 'Less than a second ago');
    assert.equal(humanAgo(new Date(now - 3 * 3600_000), now), '3 hours ago');
    assert.equal(humanAgo(now - 3 * 86400_000, now), '3 days ago');
  });

  it('parses RFC 3339 with nanoseconds and offsets', () => {
    assert.equal(toEpochMs('2024-05-01T14:00:00.5+02:00'), now + 500);
    assert.throws(() => toEpochMs('yesterday'), RangeError);
  });
});
