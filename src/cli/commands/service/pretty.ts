/**
 * `service inspect --pretty`: the docker CLI 28's human format (cli/command/service/formatter.go), written out
 * line by line here. Each service's block starts with an empty line and ends with one; durations print as Go's
 * time.Duration, CPUs as Go's %v of a float64, memory as go-units BytesSize, lists as Go's `[a b]`, maps in key
 * order. Network IDs are shown as names when `GET /networks/{id}?scope=swarm` found them.
 */
import { healthcheckOf } from '../../../client/services.js';
import type { Service } from '../../../client/service-types.js';
import { formatValue, GoFloat } from '../../format/index.js';
import { formatDuration, humanDuration } from '../../../lib/duration.js';
import { bytesSize } from '../node/pretty.js';
import { shortestFloat32 } from './values.js';

const goFloat = (v: number): string => formatValue(new GoFloat(v));
const goFloat32 = (v: number): string => formatValue(new GoFloat(Number(shortestFloat32(v))));
const goList = (a: readonly string[]): string => `[${a.join(' ')}]`;
const sortedEntries = (m: Record<string, string>): [string, string][] => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** One service in the pretty format. `networkNames` maps network IDs to names; `now` is ms since the epoch. */
export function renderServicePretty(s: Service, networkNames: ReadonlyMap<string, string>, now: number): string {
  const spec = s.Spec;
  const task = spec.TaskTemplate;
  const cs = task.ContainerSpec ?? {};
  const out: string[] = [];
  const line = (text: string): void => {
    out.push(text);
  };

  line('');
  line(`ID:\t\t${s.ID}`);
  line(`Name:\t\t${spec.Name ?? ''}`);
  const labels = spec.Labels ?? {};
  if (Object.keys(labels).length > 0) {
    line('Labels:');
    for (const [k, v] of sortedEntries(labels)) line(` ${k}${v !== '' ? `=${v}` : ''}`);
  }
  if (spec.Mode.Global) line('Service Mode:\tGlobal');
  else if (spec.Mode.Replicated) {
    line('Service Mode:\tReplicated');
    const r = spec.Mode.Replicated.Replicas;
    if (r !== undefined && r !== null) line(` Replicas:\t${r}`);
  } else line('Service Mode:');

  const us = s.UpdateStatus;
  if (us && (us.State ?? '') !== '') {
    line('UpdateStatus:');
    line(` State:\t\t${us.State ?? ''}`);
    if (us.StartedAt !== undefined) line(` Started:\t${humanDuration(now - Date.parse(us.StartedAt))} ago`);
    if (us.State === 'completed' && us.CompletedAt !== undefined) line(` Completed:\t${humanDuration(now - Date.parse(us.CompletedAt))} ago`);
    line(` Message:\t${us.Message ?? ''}`);
  }

  line('Placement:');
  const placement = task.Placement;
  if (placement?.Constraints && placement.Constraints.length > 0) line(` Constraints:\t${goList(placement.Constraints)}`);
  const prefs = (placement?.Preferences ?? []).filter((p) => p.Spread).map((p) => `spread=${p.Spread?.SpreadDescriptor ?? ''}`);
  if (prefs.length > 0) line(` Preferences:   ${goList(prefs)}`);
  if ((placement?.MaxReplicas ?? 0) > 0) line(` Max Replicas Per Node:   ${placement?.MaxReplicas ?? 0}`);

  for (const [title, cfg, orderLabel] of [
    ['UpdateConfig', spec.UpdateConfig, 'Update order:      '],
    ['RollbackConfig', spec.RollbackConfig, 'Rollback order:    '],
  ] as const) {
    if (!cfg) continue;
    line(`${title}:`);
    line(` Parallelism:\t${cfg.Parallelism}`);
    if ((cfg.Delay ?? 0) > 0) line(` Delay:\t\t${formatDuration(cfg.Delay ?? 0)}`);
    line(` On failure:\t${cfg.FailureAction ?? ''}`);
    if ((cfg.Monitor ?? 0) > 0) line(` Monitoring Period: ${formatDuration(cfg.Monitor ?? 0)}`);
    line(` Max failure ratio: ${goFloat32(cfg.MaxFailureRatio)}`);
    line(` ${orderLabel}${cfg.Order}`);
  }

  line('ContainerSpec:');
  line(` Image:\t\t${cs.Image ?? ''}`);
  if (cs.Args && cs.Args.length > 0) line(` Args:\t\t${cs.Args.map((a) => `${a} `).join('')}`);
  if (cs.Env && cs.Env.length > 0) line(` Env:\t\t${cs.Env.map((e) => `${e} `).join('')}`);
  if ((cs.Dir ?? '') !== '') line(` Dir:\t\t${cs.Dir ?? ''}`);
  if (cs.Init !== undefined && cs.Init !== null) line(` Init:\t\t${cs.Init}`);
  if ((cs.User ?? '') !== '') line(` User: ${cs.User ?? ''}`);
  const capAdd = cs.CapabilityAdd ?? [];
  const capDrop = cs.CapabilityDrop ?? [];
  if (capAdd.length > 0 || capDrop.length > 0) {
    line('Capabilities:');
    if (capAdd.length > 0) line(` Add: ${capAdd.join(', ')}`);
    if (capDrop.length > 0) line(` Drop: ${capDrop.join(', ')}`);
  }
  const sysctls = cs.Sysctls ?? {};
  if (Object.keys(sysctls).length > 0) {
    line('SysCtls:');
    for (const [k, v] of sortedEntries(sysctls)) line(` ${k}${v !== '' ? `: ${v}` : ''}`);
  }
  const ulimits: Record<string, string> = {};
  for (const u of cs.Ulimits ?? []) ulimits[u.Name] = `${u.Soft}:${u.Hard}`;
  if (Object.keys(ulimits).length > 0) {
    line('Ulimits:');
    for (const [k, v] of sortedEntries(ulimits)) line(` ${k}: ${v}`);
  }
  const mounts = cs.Mounts ?? [];
  if (mounts.length > 0) line('Mounts:');
  for (const m of mounts) {
    line(` Target:\t${m.Target ?? ''}`);
    line(`  Source:\t${m.Source ?? ''}`);
    line(`  ReadOnly:\t${m.ReadOnly === true}`);
    line(`  Type:\t\t${m.Type}`);
  }
  const configs = cs.Configs ?? [];
  if (configs.length > 0) {
    line('Configs:');
    for (const c of configs) {
      line(` Target:\t${c.File?.Name ?? ''}`);
      line(`  Source:\t${c.ConfigName}`);
    }
  }
  const secrets = cs.Secrets ?? [];
  if (secrets.length > 0) {
    line('Secrets:');
    for (const c of secrets) {
      line(` Target:\t${c.File?.Name ?? ''}`);
      line(`  Source:\t${c.SecretName}`);
    }
  }
  if (task.LogDriver) {
    line('Log Driver:');
    if ((task.LogDriver.Name ?? '') !== '') line(` Name:\t\t${task.LogDriver.Name ?? ''}`);
    const logOpts = task.LogDriver.Options ?? {};
    if (Object.keys(logOpts).length > 0) {
      line(' LogOpts:');
      for (const [k, v] of sortedEntries(logOpts)) line(`  ${k}${v !== '' ? `:       ${v}` : ''}`);
    }
    line('');
  }
  const res = task.Resources;
  if (res) {
    line('Resources:');
    const r = res.Reservations;
    if (r && ((r.NanoCPUs ?? 0) > 0 || (r.MemoryBytes ?? 0) > 0)) {
      line(' Reservations:');
      if ((r.NanoCPUs ?? 0) > 0) line(`  CPU:\t\t${goFloat((r.NanoCPUs ?? 0) / 1e9)}`);
      if ((r.MemoryBytes ?? 0) > 0) line(`  Memory:\t${bytesSize(r.MemoryBytes ?? 0)}`);
    }
    const l = res.Limits;
    if (l && ((l.NanoCPUs ?? 0) > 0 || (l.MemoryBytes ?? 0) > 0 || (l.Pids ?? 0) > 0)) {
      line(' Limits:');
      if ((l.NanoCPUs ?? 0) > 0) line(`  CPU:\t\t${goFloat((l.NanoCPUs ?? 0) / 1e9)}`);
      if ((l.MemoryBytes ?? 0) > 0) line(`  Memory:\t${bytesSize(l.MemoryBytes ?? 0)}`);
    }
  }
  const pids = res?.Limits?.Pids ?? 0;
  if (pids > 0) line(`  PIDs:\t\t${pids}`);
  const networks = task.Networks ?? [];
  if (networks.length > 0) line(`Networks:${networks.map((n) => ` ${networkNames.get(n.Target ?? '') ?? n.Target ?? ''}`).join('')} `);
  line(`Endpoint Mode:\t${spec.EndpointSpec?.Mode ?? ''}`);
  const ports = s.Endpoint?.Ports ?? [];
  if (ports.length > 0) {
    line('Ports:');
    ports.forEach((p, i) => {
      line(` PublishedPort = ${p.PublishedPort ?? 0}`);
      line(`  Protocol = ${p.Protocol ?? ''}`);
      line(`  TargetPort = ${p.TargetPort ?? 0}`);
      line(`  PublishMode = ${p.PublishMode ?? ''}${i === ports.length - 1 ? ' ' : ''}`);
    });
  }
  const hc = healthcheckOf(cs);
  if (hc) {
    line(' Healthcheck:');
    line(`  Interval = ${formatDuration(hc.Interval ?? 0)}`);
    line(`  Retries = ${hc.Retries ?? 0}`);
    line(`  StartPeriod =\t${formatDuration(hc.StartPeriod ?? 0)}`);
    line(`  Timeout =\t${formatDuration(hc.Timeout ?? 0)}`);
    const tests = hc.Test ?? [];
    if (tests.length > 0) {
      line('  Tests:');
      tests.forEach((t, i) => line(`\t Test = ${t}${i === tests.length - 1 ? ' ' : ''}`));
    }
  }
  return out.join('\n') + '\n\n';
}
