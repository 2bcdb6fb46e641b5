/**
 * Validates a `POST /containers/create` body (untrusted JSON) the way dockerd does, with its messages, before
 * anything is written: types of every field used, memory floor, stop signal, restart policy, health durations.
 */
import type { ContainerCreateRequest, HostConfig } from '../../api/container.js';
import { invalidArgument } from '../../api/errors.js';
import { MIN_MEMORY } from './sizes.js';

const bad = (msg: string): Error => invalidArgument('container.config_invalid', msg);

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strArray(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`${field}: expected an array of strings`);
}

function num(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${field}: expected a number, got ${JSON.stringify(v)}`);
}

function strMap(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (!isObj(v) || Object.values(v).some((x) => typeof x !== 'string')) throw bad(`${field}: expected an object of strings`);
}

function bool(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'boolean') throw bad(`${field}: expected a boolean, got ${JSON.stringify(v)}`);
}

const SIGNALS = new Set([
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS',
]);

/** Normalizes a signal given as `TERM`, `SIGTERM` or `15` to `SIGTERM` / `15`; throws docker's error otherwise. */
export function parseSignal(s: string): string {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw bad(`invalid signal: ${s}`);
    return s;
  }
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (!SIGNALS.has(name) && !/^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(name)) throw bad(`invalid signal: ${s}`);
  return `SIG${name}`;
}

export function validateCreateRequest(body: unknown): ContainerCreateRequest {
  if (!isObj(body)) throw bad('container config: expected a JSON object');
  if (typeof body.Image !== 'string' || body.Image === '') throw bad('Config.Image: an image is required');
  strArray(body.Cmd, 'Cmd');
  strArray(body.Entrypoint, 'Entrypoint');
  strArray(body.Env, 'Env');
  strMap(body.Labels, 'Labels');
  for (const f of ['Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'NetworkDisabled'] as const) bool(body[f], f);
  for (const f of ['Hostname', 'User', 'WorkingDir', 'StopSignal', 'Domainname'] as const) {
    if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'string') throw bad(`${f}: expected a string`);
  }
  if (typeof body.WorkingDir === 'string' && body.WorkingDir !== '' && !body.WorkingDir.startsWith('/')) {
    throw bad(`the working directory '${body.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (typeof body.StopSignal === 'string' && body.StopSignal !== '') parseSignal(body.StopSignal);
  num(body.StopTimeout, 'StopTimeout');
  if (body.Healthcheck !== undefined && body.Healthcheck !== null) {
    if (!isObj(body.Healthcheck)) throw bad('Healthcheck: expected an object');
    strArray(body.Healthcheck.Test, 'Healthcheck.Test');
    for (const f of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
      num(body.Healthcheck[f], `Healthcheck.${f}`);
      const v = body.Healthcheck[f] as number | undefined;
      if (v !== undefined && v !== 0 && v < 1e6) throw bad(`${f} in Healthcheck cannot be less than 1ms`);
    }
    num(body.Healthcheck.Retries, 'Healthcheck.Retries');
    if (typeof body.Healthcheck.Retries === 'number' && body.Healthcheck.Retries < 0) throw bad('Retries in Healthcheck cannot be negative');
  }
  const hc = body.HostConfig;
  if (hc !== undefined && hc !== null) {
    if (!isObj(hc)) throw bad('HostConfig: expected an object');
    validateHostConfig(hc);
  }
  return body as unknown as ContainerCreateRequest;
}

function validateHostConfig(hc: Record<string, unknown>): void {
  for (const f of ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'PidsLimit', 'OomScoreAdj', 'ShmSize'] as const) {
    num(hc[f], `HostConfig.${f}`);
  }
  strArray(hc.Binds, 'HostConfig.Binds');
  strArray(hc.CapAdd, 'HostConfig.CapAdd');
  strArray(hc.CapDrop, 'HostConfig.CapDrop');
  strArray(hc.Dns, 'HostConfig.Dns');
  strArray(hc.ExtraHosts, 'HostConfig.ExtraHosts');
  strArray(hc.GroupAdd, 'HostConfig.GroupAdd');
  strMap(hc.Sysctls, 'HostConfig.Sysctls');
  strMap(hc.Tmpfs, 'HostConfig.Tmpfs');
  for (const f of ['AutoRemove', 'ReadonlyRootfs', 'Privileged', 'Init'] as const) bool(hc[f], `HostConfig.${f}`);
  if (hc.Mounts !== undefined && hc.Mounts !== null && !Array.isArray(hc.Mounts)) throw bad('HostConfig.Mounts: expected an array');
  if (hc.Ulimits !== undefined && hc.Ulimits !== null) {
    if (!Array.isArray(hc.Ulimits)) throw bad('HostConfig.Ulimits: expected an array');
    for (const [i, u] of (hc.Ulimits as unknown[]).entries()) {
      if (!isObj(u) || typeof u.Name !== 'string' || typeof u.Soft !== 'number' || typeof u.Hard !== 'number') {
        throw bad(`HostConfig.Ulimits[${i}]: expected {Name, Soft, Hard}`);
      }
    }
  }
  const mem = hc.Memory as number | undefined;
  if (mem !== undefined && mem !== 0 && mem < MIN_MEMORY) throw bad('Minimum memory limit allowed is 6MB');
  const swap = hc.MemorySwap as number | undefined;
  if (mem && swap && swap > 0 && swap < mem) throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  const nano = hc.NanoCpus as number | undefined;
  if (nano !== undefined && nano < 0) throw bad('Range of CPUs is from 0.01 to the number of CPUs available');
  if (nano && (hc.CpuQuota || hc.CpuPeriod)) throw bad('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  const pids = hc.PidsLimit as number | undefined;
  if (pids !== undefined && pids !== null && pids < -1) throw bad(`invalid PIDs limit: ${pids}`);
  const rp = hc.RestartPolicy;
  if (isObj(rp) && typeof rp.Name === 'string' && rp.Name !== '' && rp.Name !== 'no') {
    if (!['always', 'unless-stopped', 'on-failure'].includes(rp.Name)) throw bad(`invalid restart policy '${rp.Name}'`);
    if (hc.AutoRemove === true) throw bad("can't create 'AutoRemove' container with restart policy");
  }
  const nm = hc.NetworkMode;
  if (nm !== undefined && nm !== null && typeof nm !== 'string') throw bad('HostConfig.NetworkMode: expected a string');
}

/** The HostConfig as inspect shows it: docker fills these defaults. */
export function normalizedHostConfig(hc: HostConfig | undefined): HostConfig {
  return {
    Binds: hc?.Binds ?? null,
    NetworkMode: hc?.NetworkMode || 'none',
    PortBindings: hc?.PortBindings ?? {},
    RestartPolicy: { Name: hc?.RestartPolicy?.Name || 'no', MaximumRetryCount: hc?.RestartPolicy?.MaximumRetryCount ?? 0 },
    AutoRemove: hc?.AutoRemove ?? false,
    Mounts: hc?.Mounts ?? null,
    Tmpfs: hc?.Tmpfs ?? null,
    ReadonlyRootfs: hc?.ReadonlyRootfs ?? false,
    CapAdd: hc?.CapAdd ?? null,
    CapDrop: hc?.CapDrop ?? null,
    Privileged: hc?.Privileged ?? false,
    Sysctls: hc?.Sysctls ?? null,
    Ulimits: hc?.Ulimits ?? null,
    Init: hc?.Init ?? null,
    Memory: hc?.Memory ?? 0,
    MemorySwap: hc?.MemorySwap ?? 0,
    MemoryReservation: hc?.MemoryReservation ?? 0,
    NanoCpus: hc?.NanoCpus ?? 0,
    CpuShares: hc?.CpuShares ?? 0,
    CpuPeriod: hc?.CpuPeriod ?? 0,
    CpuQuota: hc?.CpuQuota ?? 0,
    PidsLimit: hc?.PidsLimit ?? null,
    OomScoreAdj: hc?.OomScoreAdj ?? 0,
    ShmSize: hc?.ShmSize || 64 * 1024 * 1024,
    Dns: hc?.Dns ?? [],
    DnsSearch: hc?.DnsSearch ?? [],
    DnsOptions: hc?.DnsOptions ?? [],
    ExtraHosts: hc?.ExtraHosts ?? null,
    GroupAdd: hc?.GroupAdd ?? null,
    LogConfig: { Type: 'k8s-file', Config: {} },
  };
}
