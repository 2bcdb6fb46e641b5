import type { TLSInfo } from '../../api/types.js';
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import type { Store } from '../../store/core/store.js';

/**
 * What the control API needs from outside. The PKI is a port so this folder stays pure: the composition root
 * passes src/ca's real implementation.
 */
export interface Pki {
  newTokenSecret(): string;
  formatJoinToken(caCertPem: string, secret: string): string;
  tlsInfo(caCertPem: string): TLSInfo;
}

/**
 * Seals secret data for the store and opens it again (src/ca/secret-box.ts `SecretBox`), so this folder never
 * touches node:crypto. Base64 in, base64 out; sealed values look like `shoal-enc:v1:…`.
 */
export interface SecretSealer {
  seal(base64Data: string): string;
  open(stored: string): string;
}

export interface ControlDeps {
  store: Store;
  clock: Clock;
  random: Random;
  pki: Pki;
  /** Present on managers; the secret use-cases require it (`SecretDeps`). */
  secretBox?: SecretSealer;
}
