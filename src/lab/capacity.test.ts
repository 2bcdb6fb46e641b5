/** `--nodes`: a positive integer, at most 9, and what available memory allows at ~200 MiB a node. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { checkNodeCount, nodesThatFit, parseMemAvailable } from './capacity.js';

const MIB = 1024 * 1024;
const refused = (fn: () => unknown, code: string, text: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isShoalError(e, 'InvalidArgument'), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return true;
  });
};

describe('lab capacity', () => {
  it('reads MemAvailable from /proc/meminfo', () => {
    assert.equal(parseMemAvailable('MemTotal:       24684000 kB\nMemFree:        1000 kB\nMemAvailable:    2048000 kB\n'), 2048000 * 1024);
    assert.equal(parseMemAvailable('MemTotal: 1 kB\n'), undefined);
  });

  it('accepts 1 to 9 nodes when memory allows them', () => {
    assert.equal(checkNodeCount('3', 4096 * MIB), 3);
    assert.equal(checkNodeCount(9, 1800 * MIB), 9);
    assert.equal(checkNodeCount(' 1 ', 200 * MIB), 1);
    assert.equal(nodesThatFit(1999 * MIB), 9);
  });

  it('refuses what is not a positive integer', () => {
    for (const bad of ['0', '-1', '1.5', 'three', '', '3x', '0x3', '1e1']) refused(() => checkNodeCount(bad, 4096 * MIB), 'lab.invalid_nodes', /invalid --nodes ".*": must be a positive integer \(1 to 9\)/);
  });

  it('refuses more than 9 nodes, naming the limit and the memory', () => {
    refused(() => checkNodeCount('10', 24000 * MIB), 'lab.too_many_nodes', /^--nodes 10 is too large: a lab has at most 9 nodes \(24000 MiB of memory is available and a node needs about 200 MiB, so 120 nodes fit\)$/);
  });

  it('refuses more nodes than memory allows, naming both numbers', () => {
    refused(() => checkNodeCount('4', 700 * MIB), 'lab.too_many_nodes', /^--nodes 4 is too large for this machine: 700 MiB of memory is available and a node needs about 200 MiB, so 3 nodes fit$/);
    refused(() => checkNodeCount('1', 150 * MIB), 'lab.too_many_nodes', /so 0 nodes fit$/);
  });
});
