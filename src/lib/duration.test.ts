import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, humanDuration, parseDuration } from './duration.js';

describe('Go durations', () => {
  it('parses what the docker CLI accepts', () => {
    assert.equal(parseDuration('5s'), 5e9);
    assert.equal(parseDuration('1h30m'), 5400e9);
    assert.equal(parseDuration('2160h0m0s'), 2160 * 3600e9);
    assert.equal(parseDuration('1.5s'), 1.5e9);
    assert.equal(parseDuration('300ms'), 300e6);
    assert.equal(parseDuration('10us'), 10e3);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('-2m'), -120e9);
  });
  it('rejects what Go rejects', () => {
    for (const bad of ['', '5', 's', '1x', '1h 2m', '--1s']) assert.equal(parseDuration(bad), undefined, bad);
  });
  it('formats like time.Duration.String()', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(5e9), '5s');
    assert.equal(formatDuration(3600e9), '1h0m0s');
    assert.equal(formatDuration(2160 * 3600e9), '2160h0m0s');
    assert.equal(formatDuration(1.5e9), '1.5s');
    assert.equal(formatDuration(300e6), '300ms');
    assert.equal(formatDuration(90e9), '1m30s');
  });
  it('humanizes like units.HumanDuration (seconds and minutes truncate, hours round)', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1600), '1 second');
    assert.equal(humanDuration(59_000), '59 seconds');
    assert.equal(humanDuration(90_000), 'About a minute');
    assert.equal(humanDuration(5 * 60_000), '5 minutes');
    assert.equal(humanDuration(90 * 60_000), '2 hours');
    assert.equal(humanDuration(5e9 / 1e6), '5 seconds');
    assert.equal(humanDuration(90 * 24 * 3600_000), '3 months');
    assert.equal(humanDuration(30 * 24 * 3600_000), '4 weeks');
  });
});
