import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import { invalidArgument } from '../api/errors.js';
import { invalidInput } from './errors.js';
import { encodePem } from './pem.js';
import { ecdsaP256, nodeCrypto } from './x509.js';

/** A fresh P-256 key pair, with the private key as PKCS#8 PEM. */
export interface GeneratedKeyPair {
  keys: webcrypto.CryptoKeyPair;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), what node:tls `key` accepts. */
  keyPem: string;
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

export async function generateKeyPair(): Promise<GeneratedKeyPair> {
  const keys = await nodeCrypto.subtle.generateKey(
    { name: ecdsaP256.name, namedCurve: ecdsaP256.namedCurve },
    true,
    ['sign', 'verify'],
  );
  const pkcs8 = await nodeCrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const spki = new Uint8Array(await nodeCrypto.subtle.exportKey('spki', keys.publicKey));
  return { keys, keyPem: encodePem(pkcs8, 'PRIVATE KEY'), spki };
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * The CA's signing key as a WebCrypto key. Accepts PKCS#8 (`PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`, what swarmkit
 * writes) PEM. The key must be P-256.
 */
export async function importSigningKey(keyPem: string): Promise<{ key: webcrypto.CryptoKey; object: KeyObject }> {
  let object: KeyObject;
  try {
    object = createPrivateKey(keyPem);
  } catch (cause) {
    throw invalidInput('ca.invalid_key', 'CA key: not a PEM private key', cause);
  }
  if (!isP256(object)) throw invalidArgument('ca.unsupported_key', 'CA key: must be an ECDSA P-256 key');
  const pkcs8 = object.export({ type: 'pkcs8', format: 'der' });
  const key = await nodeCrypto.subtle.importKey(
    'pkcs8',
    pkcs8,
    { name: ecdsaP256.name, namedCurve: ecdsaP256.namedCurve },
    false,
    ['sign'],
  );
  return { key, object };
}

/** SubjectPublicKeyInfo DER of a node's public key given as PEM (`PUBLIC KEY`); it must be P-256. */
export function publicKeySpki(publicKeyPem: string): Uint8Array {
  let key: KeyObject;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (cause) {
    throw invalidInput('ca.invalid_public_key', 'node public key: not a PEM public key', cause);
  }
  return spkiOfP256(key);
}

/** SubjectPublicKeyInfo DER of a P-256 public key; throws InvalidArgument for any other key type. */
export function spkiOfP256(key: KeyObject): Uint8Array {
  if (!isP256(key)) throw invalidArgument('ca.unsupported_key', 'node public key: must be an ECDSA P-256 key');
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

/** Throws unless the private key belongs to the certificate whose SubjectPublicKeyInfo is given. */
export function assertKeyMatches(privateKey: KeyObject, certSpki: Uint8Array): void {
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!Buffer.from(certSpki).equals(derived)) {
    throw invalidArgument('ca.key_mismatch', 'CA key does not match the CA certificate');
  }
}

