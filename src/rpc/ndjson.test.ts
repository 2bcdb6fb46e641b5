import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NdjsonDecoder } from './ndjson.js';

void describe('NdjsonDecoder', () => {
  void it('splits values across arbitrary chunk boundaries, including inside UTF-8 sequences', () => {
    const text = '{"a":"é"}\n\n{"b":[1,2]}\n{"c":"日本"}';
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new NdjsonDecoder();
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut)), ...d.end()];
      assert.deepEqual(out, [{ a: 'é' }, { b: [1, 2] }, { c: '日本' }], `cut at ${cut}`);
    }
  });

  void it('a malformed line is an Internal rpc.bad_response', () => {
    assert.throws(() => new NdjsonDecoder().push('{nope}\n'), { code: 'rpc.bad_response' });
  });
});
