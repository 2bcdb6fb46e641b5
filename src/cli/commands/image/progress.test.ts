/** Pull/load progress as docker's jsonmessage shows it: plain lines without a terminal, redrawn lines with one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONMessage } from '../../../client/image-types.js';
import { ProgressDisplay, progressString } from './progress.js';

const pull: JSONMessage[] = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'a1b2c3' },
  { status: 'Pulling fs layer', progressDetail: {}, id: 'd4e5f6' },
  { status: 'Downloading', progressDetail: { current: 1_000_000, total: 2_000_000 }, progress: '[=>   ] 1MB/2MB', id: 'a1b2c3' },
  { status: 'Verifying Checksum', progressDetail: {}, id: 'a1b2c3' },
  { status: 'Download complete', progressDetail: {}, id: 'a1b2c3' },
  { status: 'Extracting', progressDetail: { current: 32_768, total: 2_000_000 }, id: 'a1b2c3' },
  { status: 'Pull complete', progressDetail: {}, id: 'a1b2c3' },
  { status: 'Already exists', progressDetail: {}, id: 'd4e5f6' },
  { status: 'Digest: sha256:' + 'f'.repeat(64) },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

function show(messages: JSONMessage[], tty: boolean): string {
  let out = '';
  const d = new ProgressDisplay({ write: (s) => (out += String(s)) }, { tty, columns: 120, now: () => 0 });
  for (const m of messages) d.show(m);
  return out;
}

describe('progress display', () => {
  it('without a terminal: one line per message, bars left out', () => {
    assert.equal(
      show(pull, false),
      [
        'latest: Pulling from library/busybox',
        'a1b2c3: Pulling fs layer',
        'd4e5f6: Pulling fs layer',
        'a1b2c3: Verifying Checksum',
        'a1b2c3: Download complete',
        'a1b2c3: Pull complete',
        'd4e5f6: Already exists',
        'Digest: sha256:' + 'f'.repeat(64),
        'Status: Downloaded newer image for busybox:latest',
        '',
      ].join('\n'),
    );
  });

  it('prints load output and stream lines as they come', () => {
    assert.equal(show([{ stream: 'Loaded image: busybox:latest\n' }, { stream: 'Loaded image ID: sha256:ab\n' }], false), 'Loaded image: busybox:latest\nLoaded image ID: sha256:ab\n');
  });

  it('on a terminal: one line per layer, redrawn in place with cursor movement', () => {
    const out = show(pull.slice(0, 4), true);
    const clear = '\x1b[1K\x1b[K\r';
    assert.equal(
      out,
      'latest: Pulling from library/busybox\n' +
        // a new layer gets a new line, then the cursor goes up to it, the line is rewritten, and the cursor comes back
        `\n\x1b[1A${clear}a1b2c3: Pulling fs layer \r\x1b[1B` +
        `\n\x1b[1A${clear}d4e5f6: Pulling fs layer \r\x1b[1B` +
        // the first layer is two lines up now
        `\x1b[2A${clear}a1b2c3: Downloading [=========================>                         ]      1MB/2MB\r\x1b[2B`,
    );
  });

  it('draws docker’s bar: 50 columns above 110 terminal columns, counts right-aligned to 8', () => {
    assert.equal(progressString({ current: 500, total: 1000 }, 120, 0), '[=========================>                         ]     500B/1kB');
    assert.equal(progressString({ current: 500, total: 1000 }, 80, 0), '    500B/1kB');
    assert.equal(progressString({ current: 1500, total: 1000 }, 80, 0), '   1.5kB');
    assert.equal(progressString({ current: 0, total: 0 }, 80, 0), '');
    assert.equal(progressString({ current: 12, total: 0, units: 'layers' }, 80, 0), '12 layers');
    // time left from the start time: 10 s for the first half → 10 s more
    assert.equal(progressString({ current: 500, total: 1000, start: 1000 }, 120, 1_010_000), '[=========================>                         ]     500B/1kB 10s');
  });

  it('stops at an error message with its text', () => {
    assert.throws(() => show([{ status: 'Pulling fs layer', progressDetail: {}, id: 'x' }, { errorDetail: { message: 'unexpected EOF' }, error: 'unexpected EOF' }], false), { message: 'unexpected EOF' });
  });
});
