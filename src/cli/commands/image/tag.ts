/**
 * `image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`: `POST /images/{source}/tag?repo=<normalized repository>&tag=T`
 * (`latest` when the target names no tag); a digest in the target is refused, as docker's client refuses it.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { imageTag } from '../../../client/images.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { parseAnyReference, parseNormalizedNamed, refName, tagNameOnly } from './reference.js';

export async function run(_ctx: CliContext, client: EngineClient, source: string, target: string): Promise<void> {
  try {
    parseAnyReference(source);
  } catch (e) {
    throw new CliError(`Error parsing reference: "${source}" is not a valid repository/tag: ${(e as Error).message}`);
  }
  let ref;
  try {
    ref = parseNormalizedNamed(target);
  } catch (e) {
    throw new CliError(`Error parsing reference: "${target}" is not a valid repository/tag: ${(e as Error).message}`);
  }
  if (ref.digest !== undefined) throw new CliError('refusing to create a tag with a digest reference');
  ref = tagNameOnly(ref);
  await imageTag(client, source, refName(ref), ref.tag);
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('tag')
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source_image[:tag]>')
    .argument('<target_image[:tag]>')
    .action(async (source: string, target: string) => run(ctx, await ctx.client(), source, target));
}
