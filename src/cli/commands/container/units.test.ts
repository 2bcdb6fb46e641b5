import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanSize, humanSizeWithPrecision, parseCPUs, ramInBytes, truncateID } from './units.js';

describe('docker sizes and numbers', () => {
  it('reads sizes as go-units RAMInBytes (binary multiples, unit case-insensitive, b and i optional)', () => {
    const cases: [string, number][] = [
      ['64m', 64 * 1024 ** 2],
      ['1g', 1024 ** 3],
      ['6MB', 6 * 1024 ** 2],
      ['6mb', 6 * 1024 ** 2],
      ['512', 512],
      ['1.5k', 1536],
      ['2 GiB', 2 * 1024 ** 3],
      ['32kb', 32 * 1024],
      ['1t', 1024 ** 4],
      ['0', 0],
    ];
    for (const [text, bytes] of cases) assert.equal(ramInBytes(text), bytes, text);
    for (const bad of ['', 'x', '4x', '-1', '1mm', 'm']) assert.throws(() => ramInBytes(bad), { message: `invalid size: '${bad}'` });
  });

  it('reads --cpus as an exact decimal of nano CPUs', () => {
    assert.equal(parseCPUs('0.5'), 500_000_000);
    assert.equal(parseCPUs('1'), 1_000_000_000);
    assert.equal(parseCPUs('1.25'), 1_250_000_000);
    assert.equal(parseCPUs('.1'), 100_000_000);
    assert.equal(parseCPUs('0.000000001'), 1);
    assert.throws(() => parseCPUs('0.0000000001'), { message: 'value is too precise' });
    assert.throws(() => parseCPUs('abc'), { message: 'failed to parse abc as a rational number' });
  });

  it('prints sizes as go-units HumanSize / HumanSizeWithPrecision (decimal units, Go %g)', () => {
    const cases: [number, string][] = [
      [0, '0B'],
      [999, '999B'],
      [1000, '1kB'],
      [1_240_000, '1.24MB'],
      [4_194_304, '4.19MB'],
      [999_500, '1e+03kB'],
      [12_345_678_901, '12.3GB'],
      [130_000_000, '130MB'],
    ];
    for (const [n, text] of cases) assert.equal(humanSizeWithPrecision(n, 3), text, String(n));
    assert.equal(humanSize(1_234_567), '1.235MB');
    assert.equal(humanSize(0), '0B');
  });

  it('truncates IDs like stringid.TruncateID', () => {
    assert.equal(truncateID('sha256:0123456789abcdef0123'), '0123456789ab');
    assert.equal(truncateID('0123456789abcdef'), '0123456789ab');
    assert.equal(truncateID('abc'), 'abc');
  });
});
