/**
 * `compose ps [-a] [-q] [--services] [--format F] [SERVICE...]`: the project's containers (running ones unless -a),
 * docker compose's table `NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS`, -q for IDs, --format json or a Go
 * template over the row (`{{.Name}}`, `{{.Service}}`, `{{.State}}`, `{{.Health}}`, `{{.Label "k"}}`...).
 */
import type { Command } from 'commander';
import type { ContainerSummary, PortSummary } from '../../../client/container-types.js';
import { containerInspect } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import { LABEL_PROJECT } from '../../../compose/model/compose-plan.js';
import type { CliContext } from '../../context.js';
import { GoStruct, humanAgo, renderList } from '../../format/index.js';
import { displayablePorts } from '../container/container-rows.js';
import { ellipsis, goLocalTime, goQuote } from '../container/display.js';
import { checkServices, nameOf, projectContainers, serviceOf } from './engine.js';
import { tryLoadProject, type ComposeGlobalOptions, type LoadedProject } from './project.js';

export const COMPOSE_PS_TABLE = 'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';
export const COMPOSE_PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Name: 'NAME',
  Image: 'IMAGE',
  Command: 'COMMAND',
  Service: 'SERVICE',
  Project: 'PROJECT',
  RunningFor: 'CREATED',
  CreatedAt: 'CREATED AT',
  State: 'STATE',
  Status: 'STATUS',
  Health: 'HEALTH',
  ExitCode: 'EXIT CODE',
  Ports: 'PORTS',
  Publishers: 'PUBLISHERS',
};

export interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  format?: string;
  trunc?: boolean;
}

function health(status: string): string {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  return m === null ? '' : m[1] === 'health: starting' ? 'starting' : (m[1] as string);
}

export function composeRow(c: ContainerSummary, trunc: boolean, now: number): GoStruct {
  const labels = c.Labels ?? {};
  return new GoStruct(
    '*formatter.ContainerContext',
    {
      ID: () => c.Id,
      Name: () => nameOf(c),
      Image: () => c.Image,
      Command: () => goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
      Project: () => labels[LABEL_PROJECT] ?? '',
      Service: () => serviceOf(c),
      Created: () => c.Created,
      CreatedAt: () => goLocalTime(c.Created),
      RunningFor: () => humanAgo(c.Created * 1000, now),
      State: () => c.State,
      Status: () => c.Status,
      Health: () => health(c.Status),
      ExitCode: () => Number(/^Exited \((-?\d+)\)/.exec(c.Status)?.[1] ?? '0'),
      Ports: () => displayablePorts(c.Ports ?? []),
      Publishers: () => (c.Ports ?? []).map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type })),
      Labels: () =>
        Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(','),
      Label: (name: unknown) => labels[String(name)] ?? '',
    },
    'methods',
  );
}

/**
 * A daemon whose container list leaves `Ports` empty still publishes them in inspect's `NetworkSettings.Ports`:
 * the row takes them from there.
 */
async function withPorts(client: EngineClient, c: ContainerSummary): Promise<ContainerSummary> {
  if ((c.Ports ?? []).length > 0 || c.State !== 'running') return c;
  const info = await containerInspect(client, c.Id).catch(() => undefined);
  const ports = (info?.NetworkSettings as { Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> } | undefined)?.Ports ?? {};
  const out: PortSummary[] = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, proto] = key.split('/');
    const priv = Number(port);
    if (bindings === null || bindings.length === 0) out.push({ PrivatePort: priv, Type: proto ?? 'tcp' });
    for (const b of bindings ?? []) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: priv, PublicPort: Number(b.HostPort), Type: proto ?? 'tcp' });
  }
  return { ...c, Ports: out };
}

export async function run(ctx: CliContext, client: EngineClient, name: string, loaded: LoadedProject | undefined, services: readonly string[], o: PsOptions, now: () => number = Date.now): Promise<void> {
  checkServices(loaded?.project, services);
  if (o.services === true) {
    const names = loaded !== undefined ? Object.keys(loaded.project.services).filter((s) => services.length === 0 || services.includes(s)) : [];
    ctx.out.write(names.map((s) => `${s}\n`).join(''));
    return;
  }
  const list = await Promise.all((await projectContainers(client, name, { all: o.all === true, services })).map((c) => withPorts(client, c)));
  const t = now();
  ctx.out.write(
    renderList(
      list.map((c) => composeRow(c, o.trunc !== false, t)),
      { format: o.format, quiet: o.quiet === true, defaultTable: COMPOSE_PS_TABLE, headers: COMPOSE_PS_HEADERS, typeName: '*formatter.ContainerContext' },
    ),
  );
}

export function register(parent: Command, ctx: CliContext, globals: () => ComposeGlobalOptions): void {
  parent
    .command('ps')
    .description('List containers')
    .argument('[service...]')
    .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'Only display IDs')
    .option('--services', 'Display services')
    .option('--format <string>', 'Format output using a custom template ("table", "table TEMPLATE", "json" or a Go template)')
    .option('--no-trunc', "Don't truncate output")
    .action(async (services: string[], o: PsOptions) => {
      const p = tryLoadProject(ctx, globals());
      await run(ctx, await ctx.client(), p.name, p.loaded, services, o);
    });
}
