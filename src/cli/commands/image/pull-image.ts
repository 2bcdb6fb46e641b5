/**
 * One pull as `image pull` and `run`/`create` (for a missing image) do it: `POST /images/create` with the
 * normalized repository and tag (or digest), the platform, Shoal's `insecure=1`, and the user's registry
 * credentials; then the progress stream shown on `out` (stdout for pull, stderr for run), or drained when quiet.
 */
import type { EngineClient } from '../../../client/index.js';
import { imagePull, readJSONMessages } from '../../../client/images.js';
import type { Output } from '../../context.js';
import { ProgressDisplay } from './progress.js';
import type { ImageReference } from './reference.js';
import { apiTag, refName } from './reference.js';
import { registryAuthFor } from './registry-auth.js';

export interface PullOptions {
  platform?: string | undefined;
  insecure?: boolean | undefined;
  /** Pull every tag (`pull -a`): no `tag` parameter. */
  allTags?: boolean | undefined;
  /** Where progress goes; undefined shows nothing (but still reads the stream to its end and its errors). */
  out?: Output | undefined;
  tty?: boolean | undefined;
  columns?: number | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

export async function pullImage(client: EngineClient, ref: ImageReference, o: PullOptions): Promise<void> {
  const registryAuth = registryAuthFor(ref.domain, o.env);
  const tag = o.allTags === true ? undefined : apiTag(ref);
  const res = await imagePull(client, {
    fromImage: refName(ref),
    ...(tag !== undefined ? { tag } : {}),
    ...(o.platform !== undefined && o.platform !== '' ? { platform: o.platform.toLowerCase() } : {}),
    ...(o.insecure === true ? { insecure: true } : {}),
    ...(registryAuth !== undefined ? { registryAuth } : {}),
  });
  const display = new ProgressDisplay(o.out ?? { write: () => undefined }, {
    tty: o.out !== undefined && o.tty === true,
    ...(o.columns !== undefined ? { columns: o.columns } : {}),
  });
  for await (const m of readJSONMessages(res)) display.show(m);
}
