import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { isShoalError } from '../api/errors.js';
import type { Random } from '../lib/random.js';
import { cryptoRandom } from '../lib/random-crypto.js';
import { seededRandom } from '../lib/random.js';
import { fromBase36, toBase36 } from './base36.js';
import {
  caDigest,
  formatJoinToken,
  JOIN_TOKEN_PATTERN,
  newTokenSecret,
  parseJoinToken,
  tokenMatchesCA,
} from './join-token.js';
import { createRootCA, type RootCA } from './root-ca.js';

const constant = (byte: number): Random => ({ bytes: (n) => new Uint8Array(n).fill(byte), float: () => 0 });

void describe('join tokens', () => {
  let ca: RootCA;
  let other: RootCA;
  before(async () => {
    ca = await createRootCA({ now: Date.now() });
    other = await createRootCA({ now: Date.now() });
  });

  void it('have swarm’s exact format', () => {
    for (let i = 0; i < 50; i++) {
      const token = formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom));
      assert.match(token, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
      assert.match(token, JOIN_TOKEN_PATTERN);
    }
  });

  void it('secrets are 128 bits in base 36, zero-padded to 25', () => {
    assert.equal(newTokenSecret(constant(0)), '0'.repeat(25));
    const max = ((1n << 128n) - 1n).toString(36);
    assert.equal(max.length, 25); // ceil(log36(2^128)) = 25: the widest secret needs no padding
    assert.equal(newTokenSecret(constant(0xff)), max);
    assert.equal(newTokenSecret(seededRandom(7)), newTokenSecret(seededRandom(7)));
    assert.notEqual(newTokenSecret(cryptoRandom), newTokenSecret(cryptoRandom));
  });

  void it('the digest is SHA-256 of the CA certificate DER, base 36, padded to 50', () => {
    const der = new X509Certificate(ca.certPem).raw;
    const hex = createHash('sha256').update(der).digest('hex');
    assert.equal(caDigest(ca.certPem), `sha256:${hex}`);
    const token = formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom));
    const digestPart = token.split('-')[2] ?? '';
    assert.equal(digestPart, BigInt(`0x${hex}`).toString(36).padStart(50, '0'));
    assert.equal(((1n << 256n) - 1n).toString(36).length, 50);
    assert.equal(toBase36(35n, 3), '00z');
    assert.equal(fromBase36('00z'), 35n);
    assert.equal(fromBase36('0Z'), undefined);
  });

  void it('round-trips through parse, and matches its CA and not another', () => {
    const secret = newTokenSecret(cryptoRandom);
    const token = formatJoinToken(ca.certPem, secret);
    assert.deepEqual(parseJoinToken(token), { version: 1, digest: caDigest(ca.certPem), secret });
    assert.equal(tokenMatchesCA(token, ca.certPem), true);
    assert.equal(tokenMatchesCA(token, other.certPem), false);
    assert.notEqual(caDigest(ca.certPem), caDigest(other.certPem));
  });

  void it('the digest ignores PEM formatting but covers every root of a bundle', () => {
    const token = formatJoinToken(ca.certPem, newTokenSecret(cryptoRandom));
    assert.equal(tokenMatchesCA(token, ca.certPem.replace(/\n/g, '\r\n')), true);
    assert.equal(tokenMatchesCA(token, ca.certPem + other.certPem), false);
  });

  void it('parses a token as docker prints it', () => {
    const docs = 'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';
    const parsed = parseJoinToken(docs);
    assert.equal(parsed.version, 1);
    assert.match(parsed.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(parsed.secret, '1awxwuwd3z9j1z3puu7rcgdbx');
  });

  void it('refuses malformed tokens with "invalid join token", never echoing the token', () => {
    const good = formatJoinToken(ca.certPem, 'abcdefghijklmnopqrstuvwxy');
    const [, , digest = ''] = good.split('-');
    const bad = [
      '',
      'SWMTKN',
      'SWMTKN-1-abc-def',
      `SWMTKN-2-1-${digest}-abcdefghijklmnopqrstuvwxy`, // v2 (FIPS)
      `SWMTKN-3-${digest}-abcdefghijklmnopqrstuvwxy`,
      `XXMTKN-1-${digest}-abcdefghijklmnopqrstuvwxy`,
      `SWMTKN-1-${digest}-abcdefghijklmnopqrstuvwx`, // 24-character secret
      `SWMTKN-1-${digest}-abcdefghijklmnopqrstuvwxyz`, // 26
      `SWMTKN-1-${digest}-ABCDEFGHIJKLMNOPQRSTUVWXY`, // upper case
      `SWMTKN-1-${digest}-abcdefghijklmnopqrstuvw_y`,
      `SWMTKN-1-${digest.slice(1)}-abcdefghijklmnopqrstuvwxy`,
      `SWMTKN-1-${'z'.repeat(50)}-abcdefghijklmnopqrstuvwxy`, // 36^50 − 1 > 2^256: not a SHA-256
      `${good}-extra`,
      ` ${good}`,
    ];
    for (const token of bad) {
      assert.throws(
        () => parseJoinToken(token),
        (e) =>
          isShoalError(e, 'InvalidArgument') &&
          e.code === 'join_token.invalid' &&
          e.message.startsWith('invalid join token') &&
          !e.message.includes('abcdefghijklmnopqrstuvw'),
        JSON.stringify(token),
      );
    }
  });

  void it('refuses to format a malformed secret', () => {
    assert.throws(() => formatJoinToken(ca.certPem, 'short'), (e) => isShoalError(e, 'InvalidArgument'));
  });
});
