import type { Command } from 'commander';
import type { EngineClient, SystemInfo } from '../../../client/index.js';
import { humanDuration } from '../../../lib/duration.js';
import type { CliContext } from '../../context.js';
import { renderTemplate } from '../../format/index.js';
import { bytesSize } from '../node/pretty.js';

/** docker's units.HumanDuration for config periods ("5 seconds", "3 months"). */
const humanPeriod = (ns: number): string => humanDuration(ns / 1e6);

/** The Swarm block of `docker info`, line for line. */
export function swarmLines(info: SystemInfo): string[] {
  const sw = info.Swarm;
  const out = [` Swarm: ${sw.LocalNodeState}`];
  if (sw.LocalNodeState === 'inactive' || sw.LocalNodeState === 'locked') return out;
  out.push(`  NodeID: ${sw.NodeID}`);
  if (sw.Error) out.push(`  Error: ${sw.Error}`);
  out.push(`  Is Manager: ${sw.ControlAvailable}`);
  const c = sw.Cluster;
  if (c && sw.ControlAvailable && sw.Error === '' && sw.LocalNodeState !== 'error') {
    out.push(`  ClusterID: ${c.ID}`, `  Managers: ${sw.Managers ?? 0}`, `  Nodes: ${sw.Nodes ?? 0}`);
    out.push(`  Default Address Pool: ${c.DefaultAddrPool.join('  ')}  `);
    out.push(`  SubnetSize: ${c.SubnetSize}`, `  Data Path Port: ${c.DataPathPort}`);
    out.push('  Orchestration:', `   Task History Retention Limit: ${c.Spec.Orchestration.TaskHistoryRetentionLimit ?? 0}`);
    out.push(
      '  Raft:',
      `   Snapshot Interval: ${c.Spec.Raft.SnapshotInterval ?? 0}`,
    );
    out.push(`   Number of Old Snapshots to Retain: ${c.Spec.Raft.KeepOldSnapshots ?? 0}`);
    out.push(`   Heartbeat Tick: ${c.Spec.Raft.HeartbeatTick}`, `   Election Tick: ${c.Spec.Raft.ElectionTick}`);
    out.push('  Dispatcher:', `   Heartbeat Period: ${humanPeriod(c.Spec.Dispatcher.HeartbeatPeriod ?? 0)}`);
    out.push('  CA Configuration:', `   Expiry Duration: ${humanPeriod(c.Spec.CAConfig.NodeCertExpiry ?? 0)}`);
    out.push(`   Force Rotate: ${c.Spec.CAConfig.ForceRotate ?? 0}`);
    out.push(`  Autolock Managers: ${c.Spec.EncryptionConfig.AutoLockManagers}`);
    out.push(`  Root Rotation In Progress: ${c.RootRotationInProgress}`);
  }
  out.push(`  Node Address: ${sw.NodeAddr}`);
  if (sw.RemoteManagers && sw.RemoteManagers.length > 0) {
    out.push('  Manager Addresses:');
    for (const addr of sw.RemoteManagers.map((m) => m.Addr).sort()) out.push(`   ${addr}`);
  }
  return out;
}

interface InfoExtras {
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null };
  Runtimes?: Record<string, unknown>;
  ContainerdCommit?: { ID?: string };
  RuncCommit?: { ID?: string };
  InitCommit?: { ID?: string };
  SecurityOptions?: string[];
  Labels?: string[];
  RegistryConfig?: { InsecureRegistryCIDRs?: string[]; Mirrors?: string[] };
}

/** The Server section of `docker info`, line for line, for the fields Shoal reports. */
export function infoText(info: SystemInfo): string {
  const x = info as SystemInfo & InfoExtras;
  const n = (k: string): string => {
    const v = info[k];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  };
  const lines = [
    'Server:',
    ` Containers: ${n('Containers')}`,
    `  Running: ${n('ContainersRunning')}`,
    `  Paused: ${n('ContainersPaused')}`,
    `  Stopped: ${n('ContainersStopped')}`,
    ` Images: ${n('Images')}`,
    ` Server Version: ${info.ServerVersion}`,
    ` Storage Driver: ${n('Driver')}`,
    ` Logging Driver: ${n('LoggingDriver')}`,
    ` Cgroup Driver: ${n('CgroupDriver')}`,
    ` Cgroup Version: ${n('CgroupVersion')}`,
    ' Plugins:',
    `  Volume: ${(x.Plugins?.Volume ?? []).join(' ')}`,
    `  Network: ${(x.Plugins?.Network ?? []).join(' ')}`,
  ];
  if (x.Plugins?.Authorization && x.Plugins.Authorization.length > 0) lines.push(`  Authorization: ${x.Plugins.Authorization.join(' ')}`);
  lines.push(`  Log: ${(x.Plugins?.Log ?? []).join(' ')}`);
  lines.push(...swarmLines(info));
  lines.push(
    ` Runtimes: ${Object.keys(x.Runtimes ?? {}).sort().join(' ')}`,
    ` Default Runtime: ${n('DefaultRuntime')}`,
    ` Init Binary: ${n('InitBinary')}`,
    ` containerd version: ${x.ContainerdCommit?.ID ?? ''}`,
    ` runc version: ${x.RuncCommit?.ID ?? ''}`,
    ` init version: ${x.InitCommit?.ID ?? ''}`,
  );
  if (x.SecurityOptions && x.SecurityOptions.length > 0) {
    lines.push(' Security Options:', ...x.SecurityOptions.map((o) => `  ${o.replace(/^name=/, '')}`));
  }
  lines.push(
    ` Kernel Version: ${info.KernelVersion}`,
    ` Operating System: ${info.OperatingSystem}`,
    ` OSType: ${info.OSType}`,
    ` Architecture: ${info.Architecture}`,
    ` CPUs: ${info.NCPU}`,
    ` Total Memory: ${bytesSize(info.MemTotal)}`,
    ` Name: ${info.Name}`,
    ` ID: ${info.ID}`,
    ` Docker Root Dir: ${n('DockerRootDir')}`,
    ` Debug Mode: ${n('Debug')}`,
  );
  if (info.Debug === true) {
    lines.push(`  File Descriptors: ${n('NFd')}`, `  Goroutines: ${n('NGoroutines')}`, `  System Time: ${n('SystemTime')}`, `  EventsListeners: ${n('NEventsListener')}`);
  }
  if (x.Labels && x.Labels.length > 0) lines.push(' Labels:', ...x.Labels.map((l) => `  ${l}`));
  lines.push(` Experimental: ${n('ExperimentalBuild')}`);
  const insecure = x.RegistryConfig?.InsecureRegistryCIDRs ?? [];
  if (insecure.length > 0) lines.push(' Insecure Registries:', ...insecure.map((c) => `  ${c}`));
  const mirrors = x.RegistryConfig?.Mirrors ?? [];
  if (mirrors.length > 0) lines.push(' Registry Mirrors:', ...mirrors.map((m) => `  ${m}`));
  lines.push(` Live Restore Enabled: ${n('LiveRestoreEnabled')}`, '');
  return lines.join('\n') + '\n';
}

export async function run(ctx: CliContext, client: EngineClient, o: { format?: string }): Promise<void> {
  const info = await client.info();
  if (o.format !== undefined) ctx.out.write(renderTemplate(o.format, info) + '\n');
  else ctx.out.write(infoText(info));
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async (o: { format?: string }) => run(ctx, await ctx.client(), o));
}
