import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getTimestamp } from './timestamps.js';

describe('logs --since/--until timestamps (timetypes.GetTimestamp)', () => {
  const now = Date.UTC(2024, 0, 2, 3, 4, 5, 600);
  it('turns durations into Unix seconds before now', () => {
    assert.equal(getTimestamp('42m', now), String(Math.floor((now - 42 * 60000) / 1000)));
    assert.equal(getTimestamp('1h30m', now), String(Math.floor((now - 5400000) / 1000)));
  });
  it('turns RFC 3339 dates into seconds.nanoseconds', () => {
    assert.equal(getTimestamp('2013-01-02T13:23:37Z', now), '1357133017.000000000');
    assert.equal(getTimestamp('2013-01-02T13:23:37.123456789Z', now), '1357133017.123456789');
    assert.equal(getTimestamp('2013-01-02T15:23:37+02:00', now), '1357133017.000000000');
  });
  it('passes Unix timestamps through and refuses the rest', () => {
    assert.equal(getTimestamp('1357133017', now), '1357133017');
    assert.equal(getTimestamp('1357133017.5', now), '1357133017.5');
    assert.equal(getTimestamp('', now), '');
    assert.throws(() => getTimestamp('yesterday', now), { message: 'failed to parse value as time or duration: "yesterday"' });
  });
});
