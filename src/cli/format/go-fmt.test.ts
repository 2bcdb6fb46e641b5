import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloat, formatValue, quote, sprint, sprintf, sprintln } from './go-fmt.js';
import { encodeJSON, encodeString } from './go-json.js';
import { GoFloat, GoStruct } from './go-values.js';

describe('go-fmt: %v printing', () => {
  it('prints scalars and composites as fmt.Sprint', () => {
    assert.equal(formatValue('s'), 's');
    assert.equal(formatValue(42), '42');
    assert.equal(formatValue(2 ** 60), '1152921504606846976');
    assert.equal(formatValue(true), 'true');
    assert.equal(formatValue(null), '<nil>');
    assert.equal(formatValue(['a', 1, null, ['b']]), '[a 1 <nil> [b]]');
    assert.equal(formatValue({ b: 1, a: { c: 'x' } }), 'map[a:map[c:x] b:1]');
    assert.equal(formatValue(new GoStruct('T', { A: 1, B: () => 'x' })), '{1 x}');
    assert.equal(formatValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 600))), '2024-01-02 03:04:05.6 +0000 UTC');
  });

  it('prints floats with the shortest %g, as Go (exponent from 1e+06 and below 1e-04)', () => {
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [123456, '123456'],
      [1e6, '1e+06'],
      [123456789.5, '1.234567895e+08'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [-2.5e-7, '-2.5e-07'],
      [1e21, '1e+21'],
    ];
    for (const [f, want] of cases) assert.equal(formatFloat(f, 'g', -1), want, String(f));
    assert.equal(formatValue(new GoFloat(3)), '3');
  });

  it('formatFloat with precision', () => {
    assert.equal(formatFloat(3.14159, 'f', 2), '3.14');
    assert.equal(formatFloat(1234.5678, 'e', 6), '1.234568e+03');
    assert.equal(formatFloat(1234.5678, 'g', 3), '1.23e+03');
    assert.equal(formatFloat(1, 'g', 3), '1');
    assert.equal(formatFloat(0, 'e', 2), '0.00e+00');
  });

  it('Sprint, Sprintln', () => {
    assert.equal(sprint(['a', 'b']), 'ab');
    assert.equal(sprint([1, 2]), '1 2');
    assert.equal(sprint(['a', 1, 2, 'b']), 'a1 2b');
    assert.equal(sprintln(['a', 1]), 'a 1\n');
  });

  it('Sprintf verbs, flags and errors', () => {
    const cases: [string, unknown[], string][] = [
      ['%s=%d', ['a', 1], 'a=1'],
      ['%v|%+d|% d|%x|%X|%o|%b|%#x', [true, 5, 5, 255, 255, 8, 5, 255], 'true|+5| 5|ff|FF|10|101|0xff'],
      ['%6.2f|%-6s|%06d|%-4d|', [3.14159, 'ab', -42, 7], '  3.14|ab    |-00042|7   |'],
      ['%q %q %#q', ['a"b', 65, 'raw'], '"a\\"b" \'A\' `raw`'],
      ['%c%c %U', [72, 105, 0x1f600], 'Hi U+1F600'],
      ['%.3s|%5.1s|', ['abcdef', 'xyz'], 'abc|    x|'],
      ['%x', ['hi'], '6869'],
      ['%e %E %g %G', [new GoFloat(1500), 1500.5, 1e-7, 1e-7], '1.500000e+03 1.500500E+03 1e-07 1E-07'],
      ['%e', [1500], '%!e(int=1500)'],
      ['%*d|%-*d|', [4, 7, 3, 1], '   7|1  |'],
      ['%d', ['x'], '%!d(string=x)'],
      ['%s', [5], '%!s(int=5)'],
      ['%d', [null], '%!d(<nil>)'],
      ['%s %s', ['a'], 'a %!s(MISSING)'],
      ['%s', ['a', 'b', 3], 'a%!(EXTRA string=b, int=3)'],
      ['100%%', [], '100%'],
      ['%', [], '%!(NOVERB)'],
      ['%v %d', [['a', 'b'], [1, 2]], '[a b] [1 2]'],
    ];
    for (const [f, args, want] of cases) assert.equal(sprintf(f, args), want, f);
  });

  it('quote escapes as strconv.Quote', () => {
    assert.equal(quote('a\tb\n"c"\\'), '"a\\tb\\n\\"c\\"\\\\"');
    assert.equal(quote('\x01\x7f'), '"\\x01\\x7f"');
    assert.equal(quote('日本'), '"日本"');
    assert.equal(quote('\u200b'), '"\\u200b"');
  });
});

describe('go-json', () => {
  it('escapes strings as encoding/json', () => {
    assert.equal(encodeString('a"b\\c\n\r\t\b\f\x01\u2028', false), '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u2028"');
    assert.equal(encodeString('<a&b>', false), '"<a&b>"');
    assert.equal(encodeString('<a&b>', true), '"\\u003ca\\u0026b\\u003e"');
    assert.equal(encodeString('日本🐳', true), '"日本🐳"');
    assert.equal(encodeString('\ud800x', false), '"\\ufffdx"');
  });

  it('encodes compactly in object order, or sorted for Go maps', () => {
    const v = { b: 1, a: [true, null, 1.5, 'x'], c: {}, d: [], u: undefined };
    assert.equal(encodeJSON(v, { escapeHTML: false }), '{"b":1,"a":[true,null,1.5,"x"],"c":{},"d":[]}');
    assert.equal(encodeJSON(v, { escapeHTML: false, sortKeys: () => true }), '{"a":[true,null,1.5,"x"],"b":1,"c":{},"d":[]}');
    assert.equal(encodeJSON(new GoFloat(2), { escapeHTML: false }), '2');
    assert.equal(encodeJSON(1e-7, { escapeHTML: false }), '1e-7');
    assert.equal(encodeJSON(() => 'got', { escapeHTML: false }), '"got"');
  });

  it('indents as json.MarshalIndent, keeping empty arrays and objects on one line', () => {
    assert.equal(
      encodeJSON([{ A: { B: [1, 2] }, C: [], D: {} }], { escapeHTML: false, indent: '    ' }),
      '[\n    {\n        "A": {\n            "B": [\n                1,\n                2\n            ]\n        },\n        "C": [],\n        "D": {}\n    }\n]',
    );
  });

  it('a docker row context marshals with sorted keys and HTML escaping, nested maps too', () => {
    const row = new GoStruct('*x', { Z: '<', A: { y: 1, x: '&' } }, 'methods');
    assert.equal(encodeJSON(row, { escapeHTML: false }), '{"A":{"x":"\\u0026","y":1},"Z":"\\u003c"}');
  });
});
