/** Lab names: validation, the derived kernel and file names, node references. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
// The daemon's own rule for its containers' netns prefix; lab down must derive the same one from a node's exec root.
import { netnsPrefixFor } from '../agent/network/names.js';
import { bridgeName, containerNetnsPrefix, DEFAULT_BASES, hostnameOf, nodeNetns, parseNodeRef, rootVeth, validateLabName } from './names.js';
import { nodePaths } from './plan.js';

const refused = (fn: () => unknown, code: string, text: RegExp): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isShoalError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return true;
  });
};

describe('lab names', () => {
  it('accepts short lowercase names and refuses the rest, saying why', () => {
    for (const ok of ['lab', 'l', 'lab2', 'abcdefghi']) validateLabName(ok);
    refused(() => validateLabName(''), 'lab.invalid_name', /a name is required/);
    refused(() => validateLabName('abcdefghij'), 'lab.invalid_name', /at most 9 characters .*"shlab-abcdefghij".*15-character/);
    for (const bad of ['Lab', '2lab', 'my-lab', 'my_lab', 'la b', 'lab/x', 'läb']) refused(() => validateLabName(bad), 'lab.invalid_name', /lowercase letter, then lowercase letters and digits/);
  });

  it('derives link names that fit 15 characters for the longest name and node 9', () => {
    const lab = 'abcdefghi';
    assert.equal(bridgeName(lab), 'shlab-abcdefghi');
    assert.equal(rootVeth(lab, 9), 'shlabcdefghi-9');
    for (const name of [bridgeName(lab), rootVeth(lab, 9)]) assert.ok(name.length <= 15, name);
    assert.equal(nodeNetns('lab', 3), 'shlab-lab-3');
    assert.equal(hostnameOf('lab', 3), 'lab-node3');
  });

  it('gives each node its roots, socket, cgroup parent and log', () => {
    const p = nodePaths(DEFAULT_BASES, 'lab', 2);
    assert.deepEqual(
      { data: p.dataRoot, exec: p.execRoot, socket: p.socket, cgroup: p.cgroupParent, log: p.log, hostname: p.hostname, netns: p.netns, veth: p.veth },
      {
        data: '/var/lib/shoal-lab/lab/node2',
        exec: '/run/shoal-lab/lab/node2',
        socket: '/run/shoal-lab/lab/node2/docker.sock',
        cgroup: 'shoal-lab-lab-2',
        log: '/run/shoal-lab/lab/node2.log',
        hostname: 'lab-node2',
        netns: 'shlab-lab-2',
        veth: 'shllab-2',
      },
    );
  });

  it("derives the node daemon's container netns prefix exactly as the daemon does", () => {
    for (const root of ['/run/shoal-lab/lab/node1', '/run/shoal-lab/x/node9', '/tmp/other']) assert.equal(containerNetnsPrefix(root), netnsPrefixFor(root));
  });

  it('reads node references as node2, 2 or <lab>-node2, and names the nodes for an unknown one', () => {
    assert.equal(parseNodeRef('lab', 'node2', 3), 2);
    assert.equal(parseNodeRef('lab', '3', 3), 3);
    assert.equal(parseNodeRef('lab', 'lab-node1', 3), 1);
    for (const bad of ['node4', '0', 'node0', 'other-node1', 'node', 'node12', '']) refused(() => parseNodeRef('lab', bad, 3), 'lab.unknown_node', /lab "lab" has no node ".*" \(its nodes: node1, node2, node3\)/);
  });
});
