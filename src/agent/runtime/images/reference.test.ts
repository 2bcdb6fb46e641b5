import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { familiarString, familiarize, formatReference, normalizeReference, parseAnyReference, parseReference } from './reference.js';

const HEX = 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';

describe('image references', () => {
  const normalized: [string, string, string][] = [
    // input, normalized, familiar
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox:x', 'docker.io/library/busybox:x', 'busybox:x'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['user/app/sub:v1', 'docker.io/user/app/sub:v1', 'user/app/sub:v1'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/app:1', 'localhost:5000/app:1', 'localhost:5000/app:1'],
    ['127.0.0.1:5000/web:1', '127.0.0.1:5000/web:1', '127.0.0.1:5000/web:1'],
    ['registry.example.com/team/app', 'registry.example.com/team/app:latest', 'registry.example.com/team/app:latest'],
    ['Registry.Example.com/app', 'Registry.Example.com/app:latest', 'Registry.Example.com/app:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
    ['a__b/c-d.e_f', 'docker.io/a__b/c-d.e_f:latest', 'a__b/c-d.e_f:latest'],
    ['a---b', 'docker.io/library/a---b:latest', 'a---b:latest'],
    [`busybox@sha256:${HEX}`, `docker.io/library/busybox@sha256:${HEX}`, `busybox@sha256:${HEX}`],
    [`busybox:1@sha256:${HEX}`, `docker.io/library/busybox:1@sha256:${HEX}`, `busybox:1@sha256:${HEX}`],
    ['shoal-test/web:1', 'docker.io/shoal-test/web:1', 'shoal-test/web:1'],
    ['sha256:abc', 'docker.io/library/sha256:abc', 'sha256:abc'],
    ['abc123', 'docker.io/library/abc123:latest', 'abc123:latest'],
    [`app:${'t'.repeat(128)}`, `docker.io/library/app:${'t'.repeat(128)}`, `app:${'t'.repeat(128)}`],
  ];
  for (const [input, want, familiar] of normalized) {
    it(`normalizes ${input.length > 60 ? `${input.slice(0, 60)}…` : input}`, () => {
      const r = parseReference(input);
      assert.equal(formatReference(r), want);
      assert.equal(normalizeReference(input), want);
      assert.equal(familiarString(r), familiar);
      assert.equal(familiarize(want), familiar);
    });
  }

  const invalid: [string, string][] = [
    ['', 'invalid reference format'],
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['user/App:1', 'invalid reference format: repository name (user/App) must be lowercase'],
    ['busybox:', 'invalid reference format'],
    ['busybox:-x', 'invalid reference format'],
    [`app:${'t'.repeat(129)}`, 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    ['busybox@', 'invalid reference format'],
    ['-app', 'invalid reference format'],
    ['app-', 'invalid reference format'],
    ['a/b//c', 'invalid reference format'],
    ['a b', 'invalid reference format'],
    ['host:port/app', 'invalid reference format'],
    [`${'a'.repeat(256)}`, 'invalid reference format: repository name must not be more than 255 characters'],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (e) => isShoalError(e, 'InvalidArgument') && e.code === 'image.invalid_reference' && e.message === message,
      );
    });
  }

  it('tells image IDs from names', () => {
    assert.deepEqual(parseAnyReference(HEX), { kind: 'id', id: `sha256:${HEX}` });
    assert.deepEqual(parseAnyReference(`sha256:${HEX}`), { kind: 'id', id: `sha256:${HEX}` });
    assert.equal(parseAnyReference('a3ed95caeb02').kind, 'named');
    assert.equal(parseAnyReference('sha256:a3ed95').kind, 'named');
  });

  it('keeps a digest-only reference untagged', () => {
    const r = parseReference(`busybox@sha256:${HEX}`);
    assert.equal(r.tag, undefined);
    assert.equal(r.digest, `sha256:${HEX}`);
  });
});
