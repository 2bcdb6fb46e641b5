/**
 * docker's createContainer, shared by `run` and `create`: `--pull always` pulls first; otherwise a 404 from
 * `POST /containers/create` for a named image prints "Unable to find image 'x:latest' locally" on stderr, pulls it
 * (progress on stderr, nothing with -q) and creates again. The daemon's warnings go to stderr as "WARNING: …".
 */
import { isShoalError } from '../../../api/errors.js';
import type { ContainerCreateBody } from '../../../client/container-types.js';
import { containerCreate } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { pullImage } from '../image/pull-image.js';
import type { ImageReference } from '../image/reference.js';
import { familiarString, parseAnyReference, tagNameOnly } from '../image/reference.js';
import type { Terminal } from './terminal.js';

export const PULL_POLICIES = ['always', 'missing', 'never'] as const;

/** docker's validatePullOpt message. */
export function checkPullPolicy(value: string): void {
  if (value === '' || (PULL_POLICIES as readonly string[]).includes(value)) return;
  throw new Error(`invalid pull option: '${value}': must be one of "always", "missing" or "never"`);
}

export interface CreateContainerOptions {
  name?: string | undefined;
  platform?: string | undefined;
  pull: string;
  quiet: boolean;
  terminal: Terminal;
}

export async function createContainer(ctx: CliContext, client: EngineClient, body: ContainerCreateBody, o: CreateContainerOptions): Promise<string> {
  const parsed = parseAnyReference(body.Image);
  const named: ImageReference | undefined = parsed === undefined ? undefined : tagNameOnly(parsed);
  const pull = async (): Promise<void> => {
    if (named === undefined) return;
    await pullImage(client, named, {
      platform: o.platform,
      out: o.quiet ? undefined : ctx.err,
      tty: o.terminal.stderrIsTTY,
      columns: o.terminal.size()?.columns,
      env: ctx.env,
    });
  };
  if (o.pull === 'always') await pull();
  const query = { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.platform !== undefined ? { platform: o.platform } : {}) };
  let res;
  try {
    res = await containerCreate(client, body, query);
  } catch (e) {
    if (!(isShoalError(e, 'NotFound') && named !== undefined && o.pull === 'missing')) throw e;
    if (!o.quiet) ctx.err.write(`Unable to find image '${familiarString(named)}' locally\n`);
    await pull();
    res = await containerCreate(client, body, query);
  }
  for (const w of res.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
  return res.Id;
}
