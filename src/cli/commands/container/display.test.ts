import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ellipsis, goQuote } from './display.js';

describe("docker formatters' text helpers", () => {
  it('quotes like strconv.Quote', () => {
    assert.equal(goQuote('sleep 1000'), '"sleep 1000"');
    assert.equal(goQuote('sh -c "echo hi"'), '"sh -c \\"echo hi\\""');
    assert.equal(goQuote('a\tb\nc\\'), '"a\\tb\\nc\\\\"');
    assert.equal(goQuote('\x01é日'), '"\\x01é日"');
  });
  it('ellipsizes to a display width, with …', () => {
    assert.equal(ellipsis('/bin/sh -c while true; do sleep 1; done', 20), '/bin/sh -c while tr…');
    assert.equal(ellipsis('short', 20), 'short');
    assert.equal(ellipsis('12345678901234567890', 20), '12345678901234567890');
    assert.equal(ellipsis('123456789012345678901', 20), '1234567890123456789…');
    assert.equal(ellipsis('日本語の文字列です、長いです', 10), '日本語の…');
    assert.equal(ellipsis('abc', 1), 'a');
    assert.equal(ellipsis('abc', 0), '');
  });
});
