import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from './errors.js';
import { Filters } from './filters.js';

const invalid = (message: string) => (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === message;

describe('Filters.parse', () => {
  it('treats an absent or empty value as no filters', () => {
    for (const raw of [undefined, null, '']) {
      const f = Filters.parse(raw, ['id']);
      assert.equal(f.size, 0);
      assert.equal(f.matchPrefix('id', 'abc'), true);
    }
  });

  it('reads the map form the docker CLI sends', () => {
    const f = Filters.parse('{"label":{"a=b":true,"c":true},"role":{"manager":true}}', ['label', 'role']);
    assert.deepEqual(f.keys(), ['label', 'role']);
    assert.deepEqual(f.values('label').sort(), ['a=b', 'c']);
    assert.equal(f.has('role'), true);
    assert.equal(f.has('id'), false);
    assert.deepEqual(f.values('id'), []);
  });

  it('reads the legacy list form', () => {
    const f = Filters.parse('{"name":["web","db"]}', ['name']);
    assert.deepEqual(f.values('name'), ['web', 'db']);
  });

  it('keeps a key given with no values', () => {
    const f = Filters.parse('{"name":{},"id":null}');
    assert.equal(f.has('name'), true);
    assert.equal(f.has('id'), true);
    assert.equal(f.matchExact('name', 'x'), true);
  });

  it('rejects unknown keys with dockerd wording', () => {
    assert.throws(() => Filters.parse('{"bogus":{"x":true}}', ['id', 'name']), invalid("invalid filter 'bogus'"));
  });

  it('rejects malformed values as `invalid filter`', () => {
    for (const raw of ['{', '[]', '"x"', '{"a":1}', '{"a":[1]}', '{"a":{"b":"yes"}}']) {
      assert.throws(() => Filters.parse(raw), invalid('invalid filter'), raw);
    }
  });

  it('round-trips to the map form', () => {
    const f = Filters.parse('{"name":["web"]}');
    assert.deepEqual(f.toJSON(), { name: { web: true } });
    assert.deepEqual(Filters.of({ id: ['a', 'b'] }).toJSON(), { id: { a: true, b: true } });
  });
});

describe('Filters matching', () => {
  it('matchPrefix: OR over values, prefix of any candidate', () => {
    const f = Filters.of({ id: ['abc', 'zz'], name: ['we'] });
    assert.equal(f.matchPrefix('id', 'abcdef'), true);
    assert.equal(f.matchPrefix('id', 'zz1'), true);
    assert.equal(f.matchPrefix('id', 'ab'), false);
    assert.equal(f.matchPrefix('name', 'db', 'web'), true);
    assert.equal(f.matchPrefix('name', undefined), false);
    assert.equal(f.matchPrefix('role', 'anything'), true, 'absent key matches');
  });

  it('matchExact: OR over values', () => {
    const f = Filters.of({ role: ['manager', 'worker'] });
    assert.equal(f.matchExact('role', 'worker'), true);
    assert.equal(f.matchExact('role', 'work'), false);
    assert.equal(f.matchExact('role', undefined), false);
  });

  it('matchLabels: AND over values; `k` = has key, `k=v` = equals', () => {
    const labels = { 'com.docker.stack.namespace': 'lab', tier: 'web', empty: '' };
    assert.equal(Filters.of({ label: ['com.docker.stack.namespace=lab'] }).matchLabels(labels), true);
    assert.equal(Filters.of({ label: ['com.docker.stack.namespace'] }).matchLabels(labels), true);
    assert.equal(Filters.of({ label: ['com.docker.stack.namespace=other'] }).matchLabels(labels), false);
    assert.equal(Filters.of({ label: ['tier=web', 'com.docker.stack.namespace=lab'] }).matchLabels(labels), true);
    assert.equal(Filters.of({ label: ['tier=web', 'missing'] }).matchLabels(labels), false);
    assert.equal(Filters.of({ label: ['empty='] }).matchLabels(labels), true);
    assert.equal(Filters.of({ label: ['a=b=c'] }).matchLabels({ a: 'b=c' }), true);
    assert.equal(Filters.of({ label: ['x'] }).matchLabels(undefined), false);
    assert.equal(Filters.of({ label: ['x'] }).matchLabels({}), false);
    assert.equal(Filters.empty().matchLabels(undefined), true);
    assert.equal(Filters.of({ 'node.label': ['zone=a'] }).matchLabels({ zone: 'a' }, 'node.label'), true);
  });

  it('bool: docker GetBoolOrDefault', () => {
    assert.equal(Filters.empty().bool('dangling', false), false);
    assert.equal(Filters.of({ dangling: ['true'] }).bool('dangling', false), true);
    assert.equal(Filters.of({ dangling: ['0'] }).bool('dangling', true), false);
    assert.throws(() => Filters.of({ dangling: ['1', 'false'] }).bool('dangling', false), invalid("invalid filter 'dangling=[1 false]'"));
    assert.throws(() => Filters.of({ dangling: [] }).bool('dangling', false), invalid("invalid filter 'dangling'"));
  });
});
