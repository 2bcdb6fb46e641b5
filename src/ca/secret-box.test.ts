import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import { openSecretBox, SEALED_PREFIX, SecretBox, secretsKeyPath } from './secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-secretbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const plain = Buffer.from('correct horse battery staple').toString('base64');

describe('SecretBox', () => {
  it('seals into shoal-enc:v1: without the plaintext, with a fresh nonce each time, and opens back', () => {
    const box = new SecretBox(new Uint8Array(32).fill(7));
    const a = box.seal(plain);
    const b = box.seal(plain);
    assert.ok(a.startsWith(SEALED_PREFIX));
    assert.notEqual(a, b, 'random nonce');
    assert.ok(!a.includes(plain) && !Buffer.from(a.slice(SEALED_PREFIX.length), 'base64').includes('correct horse'));
    assert.equal(box.open(a), plain);
    assert.equal(box.open(b), plain);
    // 12-byte nonce + ciphertext + 16-byte tag
    assert.equal(Buffer.from(a.slice(SEALED_PREFIX.length), 'base64').length, 12 + 28 + 16);
  });

  it('refuses tampered data, another key, and values that were never sealed', () => {
    const box = new SecretBox(new Uint8Array(32).fill(7));
    const sealed = box.seal(plain);
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
    raw[14] = (raw[14] ?? 0) ^ 1;
    const tampered = SEALED_PREFIX + raw.toString('base64');
    assert.throws(() => box.open(tampered), (e) => isShoalError(e, 'Internal') && e.code === 'secretbox.open_failed');
    assert.throws(() => new SecretBox(new Uint8Array(32).fill(8)).open(sealed), (e) => isShoalError(e, 'Internal'));
    assert.throws(() => box.open(plain), (e) => isShoalError(e, 'Internal') && e.code === 'secretbox.not_sealed');
    assert.throws(() => new SecretBox(new Uint8Array(16)), (e) => isShoalError(e, 'InvalidArgument'));
  });

  it('makes a 0600 32-byte key file on first use and reuses it', () => {
    const path = secretsKeyPath(join(dir, 'swarm'));
    const first = openSecretBox(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path).length, 32);
    const sealed = first.seal(plain);
    assert.equal(openSecretBox(path).open(sealed), plain, 'the same key after a restart');
  });

  it('refuses a key file of the wrong size instead of replacing it', () => {
    const path = join(dir, 'short.key');
    writeFileSync(path, Buffer.alloc(5), { mode: 0o600 });
    assert.throws(() => openSecretBox(path), (e) => isShoalError(e, 'Internal') && e.message.includes('is 5 bytes'));
    assert.equal(readFileSync(path).length, 5);
  });
});
