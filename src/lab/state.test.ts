/** lab.json: the plan it records, a round trip through the file, and parse errors that name the bad field. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { parseCidr } from '../lib/cidr.js';
import { planLab } from './plan.js';
import { listLabNames, parseLabState, readLabState, serializeLabState, writeLabState } from './state.js';

const subnet = parseCidr('10.213.7.0/24') ?? assert.fail('cidr');

describe('lab state', () => {
  it('plans N nodes with addresses .1…N, the bridge at .254 and per-node roots', () => {
    const s = planLab({ data: '/d', exec: '/e' }, 'lab', 3, subnet, new Date('2025-01-02T03:04:05Z'));
    assert.equal(s.subnet, '10.213.7.0/24');
    assert.equal(s.gateway, '10.213.7.254');
    assert.equal(s.bridge, 'shlab-lab');
    assert.equal(s.dataDir, '/d/lab');
    assert.equal(s.execDir, '/e/lab');
    assert.equal(s.created, '2025-01-02T03:04:05.000Z');
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.addr, n.netns, n.veth, n.socket, n.pid]),
      [
        ['node1', '10.213.7.1', 'shlab-lab-1', 'shllab-1', '/e/lab/node1/docker.sock', undefined],
        ['node2', '10.213.7.2', 'shlab-lab-2', 'shllab-2', '/e/lab/node2/docker.sock', undefined],
        ['node3', '10.213.7.3', 'shlab-lab-3', 'shllab-3', '/e/lab/node3/docker.sock', undefined],
      ],
    );
  });

  it('round-trips through lab.json and lists the labs that have one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-lab-state-'));
    try {
      const bases = { data: join(dir, 'data'), exec: join(dir, 'run') };
      assert.deepEqual(listLabNames(bases), []);
      assert.equal(readLabState(bases, 'lab'), undefined);
      const s = planLab(bases, 'lab', 2, subnet, new Date());
      const first = s.nodes[0];
      assert.ok(first);
      first.pid = 4242;
      mkdirSync(s.execDir, { recursive: true });
      writeLabState(bases, s);
      mkdirSync(join(bases.exec, 'nojson'), { recursive: true });
      assert.deepEqual(readLabState(bases, 'lab'), s);
      assert.deepEqual(listLabNames(bases), ['lab']);
      assert.deepEqual(parseLabState(serializeLabState(s), 'x'), s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a damaged lab.json, naming the file and the field', () => {
    const good = JSON.parse(serializeLabState(planLab({ data: '/d', exec: '/e' }, 'lab', 1, subnet, new Date()))) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      ['{', /^f: not JSON/],
      [[], /^f: expected a JSON object/],
      [{ ...good, version: 2 }, /^f: version 2 is not supported/],
      [{ ...good, nodes: 'x' }, /^f: field "nodes" must be an array/],
      [{ ...good, subnet: '' }, /^f: field "subnet" must be a non-empty string/],
      [{ ...good, nodes: [{ ...(good.nodes as object[])[0], pid: -1 }] }, /^f: nodes\[0\]: field "pid" must be a non-negative integer/],
      [{ ...good, nodes: [{ ...(good.nodes as object[])[0], socket: 3 }] }, /^f: nodes\[0\]: field "socket" must be a non-empty string/],
    ];
    for (const [value, text] of cases) {
      assert.throws(
        () => parseLabState(typeof value === 'string' ? value : JSON.stringify(value), 'f'),
        (e: unknown) => isShoalError(e) && e.code === 'lab.bad_state' && text.test(e.message),
        String(text),
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'shoal-lab-state-'));
    try {
      mkdirSync(join(dir, 'run', 'bad'), { recursive: true });
      writeFileSync(join(dir, 'run', 'bad', 'lab.json'), '{"version":1}');
      assert.throws(() => readLabState({ data: join(dir, 'data'), exec: join(dir, 'run') }, 'bad'), /lab\.json: field "nodes" must be an array/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
