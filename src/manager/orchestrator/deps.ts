import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import type { Store } from '../../store/index.js';

/** What every orchestrator component needs from the composition root. */
export interface OrchestratorDeps {
  store: Store;
  clock: Clock;
  random: Random;
  logger: Logger;
}
