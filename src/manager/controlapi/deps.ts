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

export interface ControlDeps {
  store: Store;
  clock: Clock;
  random: Random;
  pki: Pki;
}
