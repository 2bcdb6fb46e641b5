import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from './errors.js';
import { resolveRef, specNameGetters } from './resolve.js';

interface Item {
  ID: string;
  Spec: { Name?: string };
}

const items: Item[] = [
  { ID: 'abc111', Spec: { Name: 'web' } },
  { ID: 'abc222', Spec: { Name: 'db' } },
  { ID: 'def333', Spec: { Name: 'abc111x' } },
  { ID: 'web', Spec: { Name: 'shadow' } }, // an ID equal to another's name: full ID wins
  { ID: 'xyz444', Spec: {} },
];

const resolve = (ref: string): Item => resolveRef('service', ref, items, specNameGetters);

describe('resolveRef', () => {
  it('matches the full ID first', () => {
    assert.equal(resolve('abc111').ID, 'abc111');
    assert.equal(resolve('web').ID, 'web');
  });

  it('then the exact name', () => {
    assert.equal(resolve('db').ID, 'abc222');
    assert.equal(resolve('abc111x').ID, 'def333');
    assert.equal(resolve('shadow').ID, 'web');
  });

  it('then a unique ID prefix', () => {
    assert.equal(resolve('def').ID, 'def333');
    assert.equal(resolve('x').ID, 'xyz444');
  });

  it('never matches a name prefix', () => {
    assert.throws(() => resolve('sha'), (e) => isShoalError(e, 'NotFound') && e.message === 'service sha not found');
  });

  it('reports no match as NotFound `<kind> <ref> not found`', () => {
    assert.throws(
      () => resolveRef('node', 'nope', items, specNameGetters),
      (e) => isShoalError(e, 'NotFound') && e.message === 'node nope not found' && e.code === 'node.not_found',
    );
    assert.throws(() => resolve(''), (e) => isShoalError(e, 'NotFound'));
  });

  it('reports an ambiguous prefix as InvalidArgument with the count', () => {
    assert.throws(
      () => resolve('abc'),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === 'service abc is ambiguous (2 matches found)',
    );
  });

  it('reports a duplicated exact name as ambiguous, like dockerd', () => {
    const nodes = [
      { id: 'n1', host: 'wrk' },
      { id: 'n2', host: 'wrk' },
    ];
    assert.throws(
      () => resolveRef('node', 'wrk', nodes, { id: (n) => n.id, name: (n) => n.host }),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === 'node wrk is ambiguous (2 matches found)',
    );
  });

  it('accepts several names per item and any iterable', () => {
    const nodes = new Set([{ id: 'n1', names: ['wrk1', 'worker-one'] }]);
    assert.equal(resolveRef('node', 'worker-one', nodes, { id: (n) => n.id, name: (n) => n.names }).id, 'n1');
  });
});
