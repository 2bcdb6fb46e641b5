import { backendContract } from '../../../test/contracts/store-backend.js';
import { FakeClock } from '../../../test/fakes/clock.js';
import { createMemoryBackend } from './memory-backend.js';

backendContract('memory', async () => {
  const clock = new FakeClock();
  const backend = createMemoryBackend({ clock });
  return { backend, clock, cleanup: () => backend.close() };
});
