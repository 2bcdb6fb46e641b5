import type { Command } from 'commander';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { renderTemplate } from '../../format/index.js';

declare const SHOAL_VERSION: string | undefined;
const CLIENT_VERSION = typeof SHOAL_VERSION === 'string' ? SHOAL_VERSION : '0.1.0';

/** `shoal version`: client and server versions, laid out like `docker version`. */
export async function run(ctx: CliContext, client: EngineClient, o: { format?: string }): Promise<void> {
  const server = await client.version();
  const clientInfo = {
    Version: CLIENT_VERSION,
    ApiVersion: await client.apiVersion(),
    DefaultAPIVersion: '1.47',
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    Context: 'default',
  };
  if (o.format !== undefined) {
    ctx.out.write(renderTemplate(o.format, { Client: clientInfo, Server: server }) + '\n');
    return;
  }
  const lines = [
    'Client:',
    ` Version:           ${clientInfo.Version}`,
    ` API version:       ${clientInfo.ApiVersion}`,
    ` Node.js version:   ${process.versions.node}`,
    ` OS/Arch:           ${clientInfo.Os}/${clientInfo.Arch}`,
    ` Context:           ${clientInfo.Context}`,
    '',
    `Server: ${server.Platform?.Name ?? ''}`,
  ];
  for (const c of server.Components ?? []) {
    lines.push(` ${c.Name}:`);
    if (c.Name === 'Engine') {
      const d = c.Details ?? {};
      lines.push(
        `  Version:          ${c.Version}`,
        `  API version:      ${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})`,
        `  Runtime:          ${d.GoVersion ?? ''}`,
        `  Git commit:       ${d.GitCommit ?? ''}`,
        `  OS/Arch:          ${d.Os ?? ''}/${d.Arch ?? ''}`,
        `  Experimental:     ${d.Experimental ?? 'false'}`,
      );
    } else {
      lines.push(`  Version:          ${c.Version}`);
    }
  }
  ctx.out.write(lines.join('\n') + '\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('Show the Shoal version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (o: { format?: string }) => run(ctx, await ctx.client(), o));
}
