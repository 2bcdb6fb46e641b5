/**
 * Encryption at rest for secrets (docs/design/networking.md, "Objects and who writes them"): a secret's
 * `Spec.Data` is stored as `shoal-enc:v1:<base64(nonce ‖ ciphertext ‖ tag)>`, AES-256-GCM with a random 12-byte
 * nonce per seal and the prefix as additional authenticated data. The 32-byte key is a 0600 file in the manager's
 * swarm directory (`<data-root>/swarm/secrets.key`), made on first use and removed with the swarm on leave.
 *
 * The control API (pure) gets a `SecretBox` through its deps (`SecretSealer` in src/manager/controlapi/deps.ts);
 * the dispatcher opens sealed data with the same box when it attaches payloads to tasks. Data is base64 in and out,
 * the Engine API's encoding of `[]byte`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { internal, invalidArgument } from '../api/errors.js';
import { writeFileAtomic } from '../lib/atomic-file.js';

export const SEALED_PREFIX = 'shoal-enc:v1:';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from(SEALED_PREFIX);

/** The key file's name inside the swarm directory. */
export const SECRETS_KEY_FILE = 'secrets.key';

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw invalidArgument('secretbox.bad_key', `a secrets key is ${KEY_BYTES} bytes, got ${key.length}`);
    this.key = Buffer.from(key);
  }

  /** Seals base64 data (the API's `Spec.Data`) into the stored form `shoal-enc:v1:…`. */
  seal(base64Data: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(Buffer.from(base64Data, 'base64')), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  /** Opens the stored form back into base64 data. A value not sealed by this key throws Internal. */
  open(stored: string): string {
    if (!stored.startsWith(SEALED_PREFIX)) throw internal('secretbox.not_sealed', 'stored secret data is not sealed (no shoal-enc:v1: prefix)');
    const raw = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw internal('secretbox.corrupt', 'stored secret data is too short to be sealed');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('base64');
    } catch (e) {
      throw internal('secretbox.open_failed', 'stored secret data does not open with this manager\'s secrets key', e);
    }
  }
}

/** The key file's path for a swarm directory (`LocalState.swarmDir`). */
export function secretsKeyPath(swarmDir: string): string {
  return join(swarmDir, SECRETS_KEY_FILE);
}

/**
 * Loads the key at `path`, or makes a new random one there (mode 0600, written atomically) when there is none.
 * A key file of the wrong size is refused rather than replaced: the secrets sealed with it would be lost.
 */
export function openSecretBox(path: string): SecretBox {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, randomBytes(KEY_BYTES), 0o600);
  }
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) throw internal('secretbox.bad_key_file', `the secrets key ${path} is ${key.length} bytes, expected ${KEY_BYTES}`);
  return new SecretBox(key);
}
