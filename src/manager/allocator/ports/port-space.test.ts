import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PortSpace } from './port-space.js';

describe('PortSpace', () => {
  it('hands out dynamic ports serially from 30000, per protocol', () => {
    const space = new PortSpace();
    const taken = new Set<string>();
    assert.equal(space.nextDynamic('tcp', 'a', taken), 30000);
    assert.equal(space.nextDynamic('tcp', 'a', taken), 30001);
    assert.equal(space.nextDynamic('udp', 'a', taken), 30000, 'udp has its own ports');
  });

  it('skips ports held by others or taken in the same plan, and never hands a released port back at once', () => {
    const space = new PortSpace(100, 104);
    space.assign('other', [{ protocol: 'tcp', port: 100 }]);
    assert.equal(space.nextDynamic('tcp', 'me', new Set(['tcp/101'])), 102);
    space.assign('me', [{ protocol: 'tcp', port: 102 }]);
    space.release('me');
    assert.equal(space.nextDynamic('tcp', 'x', new Set()), 103, 'serial: after the last one handed out');
    assert.equal(space.nextDynamic('tcp', 'x', new Set()), 104);
    assert.equal(space.nextDynamic('tcp', 'x', new Set()), 101, 'wraps around, skipping what is held');
  });

  it('says when the range is exhausted', () => {
    const space = new PortSpace(100, 101);
    space.assign('a', [{ protocol: 'tcp', port: 100 }, { protocol: 'tcp', port: 101 }]);
    assert.equal(space.nextDynamic('tcp', 'b', new Set()), undefined);
    assert.equal(space.nextDynamic('tcp', 'a', new Set()), 100, 'its own ports are free for the holder');
  });

  it('assign replaces what a service holds and refuses ports held by another', () => {
    const space = new PortSpace();
    assert.deepEqual(space.assign('a', [{ protocol: 'tcp', port: 80 }, { protocol: 'tcp', port: 81 }]), []);
    assert.deepEqual(space.assign('b', [{ protocol: 'tcp', port: 81 }, { protocol: 'udp', port: 81 }]), [{ protocol: 'tcp', port: 81 }]);
    assert.equal(space.owner({ protocol: 'udp', port: 81 }), 'b');
    space.assign('a', [{ protocol: 'tcp', port: 80 }]);
    assert.equal(space.owner({ protocol: 'tcp', port: 81 }), undefined);
    assert.ok(space.isFreeFor({ protocol: 'tcp', port: 80 }, 'a'));
    assert.ok(!space.isFreeFor({ protocol: 'tcp', port: 80 }, 'b'));
    space.release('a');
    assert.deepEqual(space.claimsOf('a'), []);
    assert.ok(space.isFreeFor({ protocol: 'tcp', port: 80 }, 'b'));
  });
});
