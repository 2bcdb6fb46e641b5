import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShoalError } from '../../api/errors.js';
import { BAD_FILTER_FORMAT, FILTER_FORMAT_ERROR, addFilter, filterFlagError, filtersToJSON, parseFilters } from './filters.js';

describe('filters', () => {
  it('builds the Engine API filters map from repeated --filter flags', () => {
    assert.deepEqual(parseFilters(['name=web', 'label=com.example.tier=front', 'name=db']), {
      name: { web: true, db: true },
      label: { 'com.example.tier=front': true },
    });
  });

  it('lower-cases and trims names, trims values, keeps empty values', () => {
    assert.deepEqual(parseFilters([' Name = web ', 'ID=', 'dangling=true']), {
      name: { web: true },
      id: { '': true },
      dangling: { true: true },
    });
  });

  it('ignores an empty flag value, as docker does', () => {
    assert.deepEqual(parseFilters(['']), {});
  });

  it('rejects a filter without "=" with docker\'s message', () => {
    assert.throws(
      () => parseFilters(['name=web', 'web']),
      (e: unknown) => e instanceof ShoalError && e.kind === 'InvalidArgument' && e.code === FILTER_FORMAT_ERROR && e.message === BAD_FILTER_FORMAT,
    );
    assert.equal(BAD_FILTER_FORMAT, 'bad format of filter (expected name=value)');
    assert.equal(filterFlagError('web'), 'invalid argument "web" for "-f, --filter" flag: bad format of filter (expected name=value)');
  });

  it('adds to an existing map', () => {
    const f = parseFilters(['role=manager']);
    assert.equal(addFilter(f, 'role=worker'), f);
    assert.deepEqual(f, { role: { manager: true, worker: true } });
  });

  it('encodes as filters.ToJSON: empty → "", keys sorted, HTML escaped', () => {
    assert.equal(filtersToJSON({}), '');
    assert.equal(filtersToJSON(parseFilters(['name=web', 'label=a<b', 'id=x', 'name=api'])), '{"id":{"x":true},"label":{"a\\u003cb":true},"name":{"api":true,"web":true}}');
  });
});
