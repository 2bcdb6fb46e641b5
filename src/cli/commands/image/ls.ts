/**
 * `image ls` / `images [-a] [-q] [--digests] [--no-trunc] [--format F] [-f K=V] [REPOSITORY[:TAG]]`:
 * `GET /images/json` (the argument becomes a `reference` filter), printed with docker's image table.
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { imageList } from '../../../client/images.js';
import type { CliContext } from '../../context.js';
import { addFilter, parseFilters, renderList } from '../../format/index.js';
import { collect } from '../../options.js';
import { IMAGE_HEADERS, imageFormat, imageRow, imageRowKeys } from './image-rows.js';

export interface LsOptions {
  all?: boolean;
  quiet?: boolean;
  digests?: boolean;
  trunc?: boolean;
  format?: string;
  filter?: string[];
}

export async function run(ctx: CliContext, client: EngineClient, match: string | undefined, o: LsOptions, now: () => number = Date.now): Promise<void> {
  const filters = parseFilters(o.filter ?? []);
  if (match !== undefined && match !== '') addFilter(filters, `reference=${match}`);
  const images = await imageList(client, { all: o.all === true, filters });
  const showDigests = o.digests === true;
  const format = imageFormat(o.format, o.quiet === true, showDigests);
  const needDigest = showDigests || format.includes('{{.Digest}}');
  const trunc = o.trunc !== false;
  const t = now();
  const rows = images.flatMap((img) => imageRowKeys(img, showDigests, needDigest).map((k) => imageRow(img, k, trunc, t)));
  ctx.out.write(renderList(rows, { format, defaultTable: format, headers: IMAGE_HEADERS, typeName: '*formatter.imageContext' }));
}

export function register(parent: Command, ctx: CliContext, name = 'ls', aliases: string[] = ['list']): void {
  parent
    .command(name)
    .aliases(aliases)
    .description('List images')
    .argument('[repository[:tag]]')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect)
    .option('--format <string>', 'Format output using a custom template ("table", "table TEMPLATE", "json" or a Go template)')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (match: string | undefined, o: LsOptions) => run(ctx, await ctx.client(), match, o));
}
