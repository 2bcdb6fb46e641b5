/**
 * `stack ls [--format]` (alias `list`): `GET /services?filters={"label":{"com.docker.stack.namespace":true}}`, the
 * services grouped by the label's value, NAME and SERVICES, sorted naturally by name (cli/command/stack/list.go).
 */
import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import { serviceList } from '../../../client/services.js';
import { LABEL_NAMESPACE } from '../../../compose/model/stack.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';
import { GoStruct, renderList } from '../../format/index.js';
import { naturalLess } from '../node/rows.js';
import { allStacksFilter } from './common.js';

export interface LsOptions {
  format?: string;
}

export const STACK_HEADERS: Record<string, string> = { Name: 'NAME', Services: 'SERVICES' };
export const DEFAULT_STACK_TABLE = 'table {{.Name}}\t{{.Services}}';

export async function stacks(client: EngineClient): Promise<{ Name: string; Services: number }[]> {
  const counts = new Map<string, number>();
  for (const s of await serviceList(client, { filters: allStacksFilter() })) {
    const name = s.Spec.Labels?.[LABEL_NAMESPACE];
    if (name === undefined) throw new CliError(`cannot get label ${LABEL_NAMESPACE} for service ${s.ID}`);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([Name, Services]) => ({ Name, Services })).sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
}

export async function run(ctx: CliContext, client: EngineClient, o: LsOptions): Promise<void> {
  const rows = (await stacks(client)).map((s) => new GoStruct('*formatter.stackContext', { Name: s.Name, Services: () => String(s.Services) }, 'methods'));
  ctx.out.write(
    renderList(rows, {
      defaultTable: DEFAULT_STACK_TABLE,
      headers: STACK_HEADERS,
      quietField: 'Name',
      typeName: '*formatter.stackContext',
      ...(o.format !== undefined ? { format: o.format } : {}),
    }),
  );
}

export function register(parent: Command, ctx: CliContext): void {
  parent
    .command('ls')
    .alias('list')
    .description('List stacks')
    .option('--format <string>', 'Format output using a custom template ("table", "json", or a Go template)')
    .action(async (o: LsOptions) => run(ctx, await ctx.client(), o));
}
