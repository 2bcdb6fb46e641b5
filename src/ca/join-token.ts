import { createHash, X509Certificate } from 'node:crypto';
import type { Random } from '../lib/random.js';
import { failedPrecondition, invalidArgument } from '../api/errors.js';
import { bytesToBigInt, fromBase36, toBase36 } from './base36.js';
import { encodePem, strictCertificateBundle } from './pem.js';
import { invalidInput, invalidJoinToken } from './errors.js';

/** swarmkit's constants: 16 bytes of secret; ceil(log36(2^256)) = 50 and ceil(log36(2^128)) = 25 characters. */
const SECRET_BYTES = 16;
export const DIGEST_LENGTH = 50;
export const SECRET_LENGTH = 25;
const PREFIX = 'SWMTKN';

/** What every join token this module writes looks like. */
export const JOIN_TOKEN_PATTERN = /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/;
const SECRET_PATTERN = /^[0-9a-z]{25}$/;

export interface ParsedJoinToken {
  version: 1;
  /** The root CA digest the token pins, as `sha256:<64 hex>` (swarmkit's ParsedJoinToken.RootDigest). */
  digest: string;
  /** The 25-character base-36 secret: the part that a rotation replaces. */
  secret: string;
}

/** A new token secret: 128 random bits in base 36, zero-padded to 25 characters (swarmkit's GenerateJoinToken). */
export function newTokenSecret(random: Random): string {
  return toBase36(bytesToBigInt(random.bytes(SECRET_BYTES)), SECRET_LENGTH);
}

/**
 * The digest a join token pins, `sha256:<hex>`: SHA-256 over the DER of the root CA certificate, or, for a bundle of
 * several roots, over their DER encodings concatenated in order, so no certificate of the bundle goes unpinned.
 * (swarmkit hashes the PEM bytes instead; hashing DER makes the digest immune to PEM line-ending and wrapping changes.)
 */
export function caDigest(caCertPem: string): string {
  const hash = createHash('sha256');
  for (const der of strictCertificateBundle(caCertPem, 'CA certificate')) hash.update(der);
  return `sha256:${hash.digest('hex')}`;
}

/** `SWMTKN-1-<CA digest, base 36, 50 chars>-<secret, 25 chars>`: docker's v1 join token for this CA and secret. */
export function formatJoinToken(caCertPem: string, secret: string): string {
  if (!SECRET_PATTERN.test(secret)) {
    throw invalidArgument('join_token.invalid_secret', 'join token secret must be 25 lowercase base-36 characters');
  }
  const hex = caDigest(caCertPem).slice('sha256:'.length);
  return `${PREFIX}-1-${toBase36(BigInt(`0x${hex}`), DIGEST_LENGTH)}-${secret}`;
}

/**
 * Splits a join token into its CA digest and secret, with swarmkit's ParseJoinToken rules for v1 tokens. Throws
 * InvalidArgument "invalid join token: …" otherwise; the message never repeats the token, which is a secret.
 */
export function parseJoinToken(token: string): ParsedJoinToken {
  if (typeof token !== 'string') throw invalidJoinToken('not a string');
  const parts = token.split('-');
  if (parts[0] !== PREFIX || parts.length < 4) throw invalidJoinToken('expected SWMTKN-1-<digest>-<secret>');
  if (parts[1] === '2') throw invalidJoinToken('version 2 (FIPS) join tokens are not supported');
  if (parts[1] !== '1' || parts.length !== 4) throw invalidJoinToken('expected SWMTKN-1-<digest>-<secret>');
  const [, , digestText = '', secret = ''] = parts;
  if (digestText.length !== DIGEST_LENGTH) throw invalidJoinToken(`the CA digest must be ${DIGEST_LENGTH} characters`);
  if (secret.length !== SECRET_LENGTH) throw invalidJoinToken(`the secret must be ${SECRET_LENGTH} characters`);
  const digest = fromBase36(digestText);
  if (digest === undefined || digest >= 1n << 256n) throw invalidJoinToken('the CA digest is not a base-36 SHA-256');
  if (!SECRET_PATTERN.test(secret)) throw invalidJoinToken('the secret must be lowercase base-36');
  return { version: 1, digest: `sha256:${digest.toString(16).padStart(64, '0')}`, secret };
}

/**
 * Whether the token pins this CA bundle: what a joining node checks on the CA certificate a manager hands it before
 * trusting that manager. Throws InvalidArgument for a malformed token or bundle.
 */
export function tokenMatchesCA(token: string, caCertPem: string): boolean {
  return parseJoinToken(token).digest === caDigest(caCertPem);
}

/**
 * The trust root a joining node may adopt from a manager it does not trust yet: the CA bundle the manager sent, checked
 * against the token's digest, each certificate a CA, and re-encoded from exactly the certificates that were hashed.
 * Throws FailedPrecondition "remote CA does not match fingerprint" (swarmkit's words) when the token pins another CA.
 */
export function pinnedTrustRoot(token: string, caCertPem: string): string {
  const { digest } = parseJoinToken(token);
  if (digest !== caDigest(caCertPem)) {
    const expected = digest.slice('sha256:'.length);
    throw failedPrecondition('join_token.ca_mismatch', `remote CA does not match fingerprint. Expected: ${expected}`);
  }
  const ders = strictCertificateBundle(caCertPem, 'CA certificate');
  for (const der of ders) {
    let isCA: boolean;
    try {
      isCA = new X509Certificate(der).ca;
    } catch (cause) {
      throw invalidInput('ca.invalid_certificate', 'CA certificate: not a valid X.509 certificate', cause);
    }
    if (!isCA) throw invalidArgument('ca.not_a_ca', 'CA certificate: a certificate of the bundle is not a CA');
  }
  return ders.map((der) => encodePem(der, 'CERTIFICATE')).join('');
}
