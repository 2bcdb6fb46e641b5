import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { InterpolationError, interpolate, parseEnvFile } from './interpolate.js';

const vars: Record<string, string> = { SET: 'value', EMPTY: '' };
const lookup = (n: string): string | undefined => vars[n];

function run(text: string): { out: string; unset: string[] } {
  const unset: string[] = [];
  return { out: interpolate(text, lookup, (n) => unset.push(n)), unset };
}

describe('compose interpolation', () => {
  it('substitutes every form of the Compose Spec', () => {
    const cases: [string, string][] = [
      ['${SET}', 'value'],
      ['$SET/x', 'value/x'],
      ['a${SET}b', 'avalueb'],
      ['${UNSET:-d}', 'd'],
      ['${EMPTY:-d}', 'd'],
      ['${SET:-d}', 'value'],
      ['${UNSET-d}', 'd'],
      ['${EMPTY-d}', ''],
      ['${SET:+alt}', 'alt'],
      ['${EMPTY:+alt}', ''],
      ['${EMPTY+alt}', 'alt'],
      ['${UNSET+alt}', ''],
      ['${SET:?x}', 'value'],
      ['$$SET', '$SET'],
      ['$${SET}', '${SET}'],
      ['${UNSET:-${SET}-x}', 'value-x'],
      ['${UNSET:-a}}', 'a}'],
      ['no dollars', 'no dollars'],
    ];
    for (const [text, want] of cases) assert.equal(run(text).out, want, text);
  });
  it('reports variables used without a value or default', () => {
    assert.deepEqual(run('${A} $B ${C:-c} ${SET}').unset, ['A', 'B']);
  });
  it('fails on required variables, naming them', () => {
    assert.throws(() => run('${UNSET:?give it}'), (e: unknown) => e instanceof InterpolationError && e.message === 'required variable UNSET is missing a value: give it');
    assert.throws(() => run('${EMPTY:?}'), /required variable EMPTY is missing a value$/);
    assert.equal(run('${EMPTY?}').out, '');
    assert.throws(() => run('${UNSET?}'), /required variable UNSET/);
  });
  it('refuses malformed templates', () => {
    for (const bad of ['${', '${ X }', '${X:x}', 'cost $5', 'end$', '${1A}']) {
      assert.throws(() => run(bad), InterpolationError, bad);
    }
  });
});

describe('.env files', () => {
  it('reads KEY=VAL, export, quotes, comments and references', () => {
    const text = [
      '# comment',
      '',
      'A=1',
      'export B = two ',
      "C='single $A # kept'",
      'D="double\\n$A \\"q\\""',
      'E=${A}-ref # trailing comment',
      'F=',
      'BARE',
      'G="multi',
      'line"',
      'H=x#not-a-comment',
    ].join('\n');
    const got = parseEnvFile(text, '.env', (n) => (n === 'SHELL_ONLY' ? 's' : undefined));
    assert.deepEqual(
      got.map((e) => [e.key, e.value]),
      [
        ['A', '1'],
        ['B', 'two'],
        ['C', 'single $A # kept'],
        ['D', 'double\n1 "q"'],
        ['E', '1-ref'],
        ['F', ''],
        ['BARE', undefined],
        ['G', 'multi\nline'],
        ['H', 'x#not-a-comment'],
      ],
    );
    assert.deepEqual(got.find((e) => e.key === 'H')?.loc, { file: '.env', line: 12, col: 1 });
  });
  it('locates bad lines', () => {
    assert.throws(
      () => parseEnvFile('A=1\n  not valid\n', 'app.env', () => undefined),
      (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === 'app.env:2:3: env: invalid variable line "not valid": missing "="',
    );
    assert.throws(() => parseEnvFile('A="open\n', 'app.env', () => undefined), /app\.env:1:1: A: unterminated quoted value/);
    assert.throws(() => parseEnvFile('=x\n', 'app.env', () => undefined), /app\.env:1:1: env: invalid variable line/);
  });
});
