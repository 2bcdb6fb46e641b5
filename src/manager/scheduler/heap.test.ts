import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../lib/random.js';
import { Heap } from './heap.js';

describe('Heap', () => {
  it('pops in order, with pushes and top updates in between (random cases)', () => {
    const r = seededRandom(5);
    for (let round = 0; round < 200; round++) {
      const items = Array.from({ length: Math.floor(r.float() * 40) }, () => ({ k: Math.floor(r.float() * 20) }));
      const heap = new Heap<{ k: number }>((a, b) => a.k < b.k, items);
      const all = [...items];
      for (let i = 0; i < 10; i++) {
        const x = { k: Math.floor(r.float() * 20) };
        heap.push(x);
        all.push(x);
        const top = heap.peek();
        if (top !== undefined && r.float() < 0.5) {
          top.k += Math.floor(r.float() * 10);
          heap.updateTop();
        }
      }
      const out: number[] = [];
      for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x.k);
      assert.deepEqual(out, all.map((x) => x.k).sort((a, b) => a - b));
      assert.equal(heap.size, 0);
    }
  });
});
