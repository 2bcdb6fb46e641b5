import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { Router } from './router.js';
import type { Handler } from './router.js';

const h = (name: string): Handler & { label: string } => Object.assign(() => undefined, { label: name });
const label = (m: ReturnType<Router['match']>): string | undefined => (m?.handler as { label?: string } | undefined)?.label;

describe('Router', () => {
  const r = new Router()
    .get('/nodes', h('nodes'))
    .get('/nodes/{id}', h('node'))
    .post('/nodes/{id}/update', h('nodeUpdate'))
    .delete('/nodes/{id}', h('nodeRemove'))
    .post('/services/create', h('serviceCreate'))
    .post('/services/{id}/update', h('serviceUpdate'))
    .get('/services/{id}', h('service'))
    .get('/services/status', h('literalBeatsParam'))
    .get('/distribution/{name*}/json', h('distribution'))
    .get('/images/{name*}', h('image'))
    .get('/images/{name*}/json', h('imageJson'))
    .get('/info', h('info'))
    .head('/info', h('infoHead'));

  it('matches literals and binds params', () => {
    assert.equal(label(r.match('GET', '/nodes')), 'nodes');
    const m = r.match('POST', '/nodes/abc/update');
    assert.equal(label(m), 'nodeUpdate');
    assert.deepEqual(m?.params, { id: 'abc' });
    assert.equal(m?.pattern, '/nodes/{id}/update');
    assert.equal(label(r.match('DELETE', '/nodes/abc')), 'nodeRemove');
  });

  it('distinguishes methods and returns undefined when nothing matches', () => {
    assert.equal(r.match('POST', '/nodes'), undefined);
    assert.equal(r.match('GET', '/nodes/abc/update'), undefined);
    assert.equal(r.match('GET', '/nope'), undefined);
    assert.equal(label(r.match('GET', '/nodes/')), 'nodes', 'trailing slash ignored');
  });

  it('does not let {x} match an empty or multi-segment value', () => {
    assert.equal(r.match('GET', '/nodes//'), undefined);
    assert.equal(r.match('POST', '/nodes//update'), undefined);
    assert.equal(r.match('DELETE', '/nodes/a/b'), undefined);
  });

  it('prefers literals over params', () => {
    assert.equal(label(r.match('GET', '/services/status')), 'literalBeatsParam');
    assert.equal(label(r.match('GET', '/services/web')), 'service');
    assert.equal(label(r.match('POST', '/services/create')), 'serviceCreate');
  });

  it('URL-decodes params', () => {
    assert.deepEqual(r.match('GET', '/nodes/a%20b')?.params, { id: 'a b' });
    assert.throws(() => r.match('GET', '/nodes/%E0%A4%A'), (e) => isShoalError(e, 'InvalidArgument'));
  });

  it('greedy params take several segments, backtracking for a literal suffix', () => {
    const d = r.match('GET', '/distribution/registry.example.com:5000/team/app:1.2/json');
    assert.equal(label(d), 'distribution');
    assert.deepEqual(d?.params, { name: 'registry.example.com:5000/team/app:1.2' });
    assert.deepEqual(r.match('GET', '/distribution/nginx:alpine/json')?.params, { name: 'nginx:alpine' });
    assert.equal(r.match('GET', '/distribution/json'), undefined, 'greedy needs at least one segment');
    assert.equal(label(r.match('GET', '/images/library/nginx')), 'image');
    assert.equal(label(r.match('GET', '/images/library/nginx/json')), 'imageJson');
    assert.deepEqual(r.match('GET', '/images/library/nginx/json')?.params, { name: 'library/nginx' });
  });

  it('HEAD falls back to GET unless a HEAD route exists', () => {
    assert.equal(label(r.match('HEAD', '/nodes')), 'nodes');
    assert.equal(label(r.match('HEAD', '/info')), 'infoHead');
    assert.equal(r.match('HEAD', '/nodes/a/update'), undefined, 'POST-only route');
  });

  it('rejects duplicate or malformed patterns at registration', () => {
    assert.throws(() => new Router().get('/a/{x}', h('1')).get('/a/{y}', h('2')), /conflicts/);
    assert.doesNotThrow(() => new Router().get('/a/{x}', h('1')).post('/a/{y}', h('2')));
    assert.throws(() => new Router().get('a', h('1')), /must start/);
    assert.throws(() => new Router().get('/a/{x}/{x}', h('1')), /duplicate parameter/);
    assert.throws(() => new Router().get('/a/x{y}', h('1')), /bad route segment/);
  });

  it('lists its routes', () => {
    assert.ok(r.list().includes('POST /nodes/{id}/update'));
  });
});
