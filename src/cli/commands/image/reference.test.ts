import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiTag, familiarName, familiarString, parseAnyReference, parseNormalizedNamed, refName, refString, tagNameOnly } from './reference.js';

describe('image references (distribution/reference)', () => {
  it('normalizes names the docker way', () => {
    const cases: [string, string, string][] = [
      ['busybox', 'docker.io/library/busybox', 'busybox'],
      ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
      ['me/app', 'docker.io/me/app', 'me/app'],
      ['index.docker.io/library/nginx:alpine', 'docker.io/library/nginx:alpine', 'nginx:alpine'],
      ['localhost/app', 'localhost/app', 'localhost/app'],
      ['127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app:v2'],
      ['registry.example.com/app@sha256:' + 'a'.repeat(64), 'registry.example.com/app@sha256:' + 'a'.repeat(64), 'registry.example.com/app@sha256:' + 'a'.repeat(64)],
    ];
    for (const [input, full, familiar] of cases) {
      const ref = parseNormalizedNamed(input);
      assert.equal(refString(ref), full, input);
      assert.equal(familiarString(ref), familiar, input);
    }
    assert.equal(familiarName(parseNormalizedNamed('docker.io/library/a/b')), 'library/a/b');
  });

  it('gives pulls a name and a tag (digest first, latest by default)', () => {
    const bare = tagNameOnly(parseNormalizedNamed('busybox'));
    assert.equal(refName(bare), 'docker.io/library/busybox');
    assert.equal(apiTag(bare), 'latest');
    const digested = parseNormalizedNamed('busybox:1@sha256:' + 'b'.repeat(64));
    assert.equal(apiTag(digested), 'sha256:' + 'b'.repeat(64));
  });

  it('refuses what docker refuses, with its messages', () => {
    assert.throws(() => parseNormalizedNamed('Busybox'), { message: 'invalid reference format: repository name (library/Busybox) must be lowercase' });
    assert.throws(() => parseNormalizedNamed('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
    assert.throws(() => parseNormalizedNamed('bad name'), { message: 'invalid reference format' });
    assert.throws(() => parseNormalizedNamed('x:'), { message: 'invalid reference format' });
  });

  it('takes image IDs as references to anything', () => {
    assert.equal(parseAnyReference('c'.repeat(64)), undefined);
    assert.equal(parseAnyReference('sha256:' + 'c'.repeat(64)), undefined);
    assert.equal(refString(parseAnyReference('alpine') ?? { domain: '', path: '' }), 'docker.io/library/alpine');
  });
});
