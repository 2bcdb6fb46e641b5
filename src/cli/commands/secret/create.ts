/**
 * `secret create [OPTIONS] SECRET [file|-]` and `config create [OPTIONS] CONFIG file|-`: read the data from a file or
 * stdin, send `POST /<kind>s/create`, print the new ID (docker's runSecretCreate / RunConfigCreate).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { SecretSpec } from '../../../api/types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { collect } from '../../options.js';
import type { KindApi } from './kinds.js';

export interface CreateOptions {
  label?: string[];
  driver?: string;
  templateDriver?: string;
}

/** Reads `file`, or stdin for `-`. */
export type ReadInput = (file: string) => Promise<Uint8Array>;

export const readInput: ReadInput = async (file) => {
  if (file !== '-') return readFileSync(file);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
};

/** opts.ConvertKVStringsToMap: `k=v` → {k: v}, `k` → {k: ""}. */
export function labelsOf(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** Go's *PathError text for the usual failures. */
function describeReadError(e: unknown, file: string): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (err.code === 'EISDIR') return `read ${file}: is a directory`;
  if (err.code === 'EACCES') return `open ${file}: permission denied`;
  return err.message;
}

export async function run(ctx: CliContext, client: EngineClient, api: KindApi, name: string, file: string | undefined, o: CreateOptions, read: ReadInput = readInput): Promise<void> {
  if (o.driver !== undefined && o.driver !== '' && file !== undefined && file !== '') {
    throw new CliError('When using secret driver secret data must be empty');
  }
  // docker 28: `error reading from <file>: <cause>` (config create wraps it once more in `Error reading content
  // from "<file>": …`), and empty data is refused before any request.
  let data: Uint8Array = new Uint8Array();
  if (file !== undefined && file !== '') {
    const fail = (cause: string): CliError => {
      const inner = `error reading from ${file}: ${cause}`;
      return new CliError(api.kind === 'config' ? `Error reading content from ${JSON.stringify(file)}: ${inner}` : inner);
    };
    try {
      data = await read(file);
    } catch (e) {
      throw fail(describeReadError(e, file));
    }
    if (data.length === 0) throw fail('data is empty');
  }
  const spec: SecretSpec = { Name: name, Labels: labelsOf(o.label ?? []) };
  if (data.length > 0) spec.Data = Buffer.from(data).toString('base64');
  if (o.driver !== undefined && o.driver !== '') spec.Driver = { Name: o.driver };
  if (o.templateDriver !== undefined && o.templateDriver !== '') spec.Templating = { Name: o.templateDriver };
  const r = await api.create(client, spec);
  ctx.out.write(`${r.ID}\n`);
}

export function register(parent: Command, ctx: CliContext, api: KindApi): void {
  const upper = api.kind.toUpperCase();
  const cmd = parent
    .command('create')
    .description(api.kind === 'secret' ? 'Create a secret from a file or STDIN as content' : 'Create a config from a file or STDIN')
    .argument(`<${api.kind}>`, `${api.kind} name`)
    .argument(api.kind === 'secret' ? '[file|-]' : '<file|->', `file to read the ${api.kind} data from, or - for stdin`)
    .option('-l, --label <label>', `${api.kind === 'secret' ? 'Secret' : 'Config'} labels`, collect)
    .option('--template-driver <string>', 'Template driver');
  if (api.kind === 'secret') cmd.option('-d, --driver <string>', 'Secret driver');
  cmd.usage(`[OPTIONS] ${upper} ${api.kind === 'secret' ? '[file|-]' : 'file|-'}`);
  cmd.action(async (name: string, file: string | undefined, o: CreateOptions) => run(ctx, await ctx.client(), api, name, file, o));
}
