import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatK8sLogChunk, formatK8sLogLine, logLineText, parseK8sLogLine, rfc3339NanoUtc } from './log-format.js';

describe('k8s-file log format', () => {
  it("parses conmon's lines (local offset, nanoseconds)", () => {
    const l = parseK8sLogLine('2026-11-27T08:37:27.665758652+00:00 stdout F out1');
    assert.deepEqual(l, {
      time: '2026-11-27T08:37:27.665758652+00:00',
      epochMs: Date.UTC(2026, 10, 27, 8, 37, 27, 665),
      nanos: 665758652,
      stream: 'stdout',
      partial: false,
      message: 'out1',
    });
    assert.equal(rfc3339NanoUtc(l), '2026-11-27T08:37:27.665758652Z');
  });

  it('handles partial records, empty messages, other offsets and Z', () => {
    assert.equal(parseK8sLogLine('2026-11-27T08:37:27.665758652+00:00 stdout P partial')?.partial, true);
    const empty = parseK8sLogLine('2026-11-27T08:37:27.866510672+00:00 stdout F ');
    assert.equal(empty?.message, '');
    assert.equal(logLineText(empty), '\n');
    assert.equal(parseK8sLogLine('2026-11-27T08:37:27.866510672+00:00 stdout F')?.message, '');
    const east = parseK8sLogLine('2026-11-27T10:37:27.5+02:00 stderr F x');
    assert.equal(east?.epochMs, Date.UTC(2026, 10, 27, 8, 37, 27, 500));
    assert.equal(east?.nanos, 500000000);
    assert.equal(rfc3339NanoUtc(east), '2026-11-27T08:37:27.5Z');
    assert.equal(parseK8sLogLine('2026-11-27T08:37:27Z stderr F whole second')?.nanos, 0);
    assert.equal(parseK8sLogLine('2026-11-27T08:37:27Z stderr F a b  c\t')?.message, 'a b  c\t');
  });

  it('refuses what is not a record', () => {
    for (const bad of ['', 'hello', '2026-11-27T08:37:27Z stdin F x', '2026-11-27T08:37:27Z stdout X x', 'not-a-time stdout F x']) {
      assert.equal(parseK8sLogLine(bad), undefined, bad);
    }
  });

  it('formats records that parse back', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const line = formatK8sLogLine(ms, 'stderr', true, 'piece', 789);
    assert.equal(line, '2026-01-02T03:04:05.006000789Z stderr P piece');
    const back = parseK8sLogLine(line);
    assert.deepEqual([back?.epochMs, back?.nanos, back?.stream, back?.partial, back?.message], [ms, 6000789, 'stderr', true, 'piece']);
  });

  it('splits output into F lines and a trailing P piece, like conmon', () => {
    const text = formatK8sLogChunk(0, 'stdout', 'a\nb\npartial');
    const recs = text.trimEnd().split('\n').map((l) => parseK8sLogLine(l));
    assert.deepEqual(
      recs.map((r) => [r?.partial, r?.message]),
      [
        [false, 'a'],
        [false, 'b'],
        [true, 'partial'],
      ],
    );
    assert.equal(recs.map((r) => logLineText(r!)).join(''), 'a\nb\npartial');
    assert.equal(formatK8sLogChunk(0, 'stdout', ''), '');
  });
});
