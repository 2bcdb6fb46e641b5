/**
 * `service create` flags → the ServiceSpec the docker CLI sends (cli/command/service/opts.go ToService): the
 * mode from --mode/--replicas/--max-concurrent, the container spec (Init always set, DNSConfig always present),
 * resources with both Limits and Reservations present, a restart policy / update / rollback config only when one of
 * their flags is given (filled from swarmkit's defaults), Placement always present, EndpointSpec with its mode
 * ("vip" by default) and ports. Pure: files and the environment come through `SpecEnvironment`; network names are
 * resolved by the caller.
 */
import type {
  NetworkAttachmentConfig,
  RestartPolicy,
  ServiceMode,
  ServiceSpec,
  UpdateConfig,
} from '../../../client/service-types.js';
import type { HealthConfig } from '../../../client/container-types.js';
import { CliError } from '../../errors.js';
import { kvStringsToMap, parseKeyValueFile } from '../container/env-values.js';
import type { ServiceFlags } from './flags.js';
import { anyChanged } from './flags.js';
import { effectiveCaps, swarmHosts } from './values.js';

/** swarmkit's api/defaults: Service.Update and Service.Rollback (parallelism 1, pause, 5s monitor, stop-first). */
export function defaultUpdateConfig(): UpdateConfig {
  return { Parallelism: 1, Delay: 0, FailureAction: 'pause', Monitor: 5_000_000_000, MaxFailureRatio: 0, Order: 'stop-first' };
}

/** swarmkit's default task restart policy (condition any, 5s delay, no max attempts, no window). */
export function defaultRestartPolicy(): RestartPolicy {
  return { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 };
}

export interface SpecEnvironment {
  /** Reads an --env-file (throws like open(2)). */
  readFile: (path: string) => string;
  /** The CLI's environment (bare NAME lines of an env file take their value from it). */
  env: Readonly<Record<string, string | undefined>>;
}

/** ToServiceMode, with docker's messages. */
export function serviceMode(f: ServiceFlags): ServiceMode {
  const mode = f.mode ?? 'replicated';
  const replicas = f.replicas;
  if (f.totalCompletions !== undefined && mode !== 'replicated-job') throw new CliError('total-completions can only be used with replicated-job mode');
  if (f.totalCompletions !== undefined && replicas !== undefined && f.totalCompletions !== replicas) {
    throw new CliError('conflicting options: --replicas and --total-completions');
  }
  const maxPerNode = f.replicasMaxPerNode ?? 0;
  switch (mode) {
    case 'global':
      if (replicas !== undefined) throw new CliError('replicas can only be used with replicated or replicated-job mode');
      if (maxPerNode > 0) throw new CliError('replicas-max-per-node can only be used with replicated or replicated-job mode');
      if (f.maxConcurrent !== undefined) throw new CliError('max-concurrent can only be used with replicated-job mode');
      return { Global: {} };
    case 'replicated':
      if (f.maxConcurrent !== undefined) throw new CliError('max-concurrent can only be used with replicated-job mode');
      return { Replicated: replicas !== undefined ? { Replicas: replicas } : {} };
    case 'replicated-job': {
      const total = replicas ?? f.totalCompletions;
      const concurrent = f.maxConcurrent ?? total;
      const job: NonNullable<ServiceMode['ReplicatedJob']> = {};
      if (concurrent !== undefined) job.MaxConcurrent = concurrent;
      if (total !== undefined) job.TotalCompletions = total;
      return { ReplicatedJob: job };
    }
    case 'global-job':
      if (maxPerNode > 0) throw new CliError('replicas-max-per-node can only be used with replicated or replicated-job mode');
      if (f.maxConcurrent !== undefined) throw new CliError('max-concurrent can only be used with replicated-job mode');
      if (replicas !== undefined) throw new CliError('replicas can only be used with replicated or replicated-job mode');
      return { GlobalJob: {} };
    default:
      throw new CliError(`Unknown mode: ${mode}, only replicated and global supported`);
  }
}

/** toHealthConfig: --no-healthcheck → Test ["NONE"]; any --health-* → a config (zero durations included). */
export function healthConfig(f: ServiceFlags): HealthConfig | undefined {
  const have =
    (f.healthCmd ?? '') !== '' ||
    f.healthInterval !== undefined ||
    f.healthTimeout !== undefined ||
    f.healthStartPeriod !== undefined ||
    f.healthStartInterval !== undefined ||
    (f.healthRetries ?? 0) !== 0;
  if (f.healthcheck === false) {
    if (have) throw new CliError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  const h: HealthConfig = {};
  if ((f.healthCmd ?? '') !== '') h.Test = ['CMD-SHELL', f.healthCmd as string];
  h.Interval = f.healthInterval ?? 0;
  h.Timeout = f.healthTimeout ?? 0;
  h.StartPeriod = f.healthStartPeriod ?? 0;
  h.StartInterval = f.healthStartInterval ?? 0;
  h.Retries = f.healthRetries ?? 0;
  return h;
}

/** updateOptions.updateConfig / rollbackConfig: only when one of the flags is given, on top of swarmkit's defaults. */
export function updateConfigFrom(f: ServiceFlags, kind: 'update' | 'rollback'): UpdateConfig | undefined {
  const k = <S extends string>(s: S): keyof ServiceFlags => `${kind}${s}` as keyof ServiceFlags;
  const keys = ['Parallelism', 'Delay', 'Monitor', 'FailureAction', 'MaxFailureRatio', 'Order'].map(k);
  if (!anyChanged(f, ...keys)) return undefined;
  return applyUpdateConfig(defaultUpdateConfig(), f, kind);
}

/** Sets the given --update-* (or --rollback-*) values on `u` (update.go does the same on the current config). */
export function applyUpdateConfig(u: UpdateConfig, f: ServiceFlags, kind: 'update' | 'rollback'): UpdateConfig {
  const get = (s: string): unknown => f[`${kind}${s}` as keyof ServiceFlags];
  const out = { ...u };
  if (get('Parallelism') !== undefined) out.Parallelism = get('Parallelism') as number;
  if (get('Delay') !== undefined) out.Delay = get('Delay') as number;
  if (get('Monitor') !== undefined) out.Monitor = get('Monitor') as number;
  if (get('FailureAction') !== undefined) out.FailureAction = get('FailureAction') as string;
  if (get('MaxFailureRatio') !== undefined) out.MaxFailureRatio = get('MaxFailureRatio') as number;
  if (get('Order') !== undefined) out.Order = get('Order') as string;
  return out;
}

/** restartPolicyOptions.ToRestartPolicy: only when a --restart-* flag is given, on top of the default policy. */
export function restartPolicyFrom(f: ServiceFlags, base?: RestartPolicy | null): RestartPolicy | undefined {
  if (!anyChanged(f, 'restartCondition', 'restartDelay', 'restartMaxAttempts', 'restartWindow')) return base ?? undefined;
  const rp: RestartPolicy = { ...(base ?? defaultRestartPolicy()) };
  if (f.restartDelay !== undefined) rp.Delay = f.restartDelay;
  if (f.restartCondition !== undefined) rp.Condition = f.restartCondition;
  if (f.restartMaxAttempts !== undefined) rp.MaxAttempts = f.restartMaxAttempts;
  if (f.restartWindow !== undefined) rp.Window = f.restartWindow;
  return rp;
}

/** makeEnv: --env-file lines then -e values, a later value of a variable replacing the earlier one. */
export function makeEnv(f: ServiceFlags, envFiles: readonly string[], senv: SpecEnvironment): string[] {
  const all: string[] = [];
  for (const file of envFiles) {
    let text: string;
    try {
      text = senv.readFile(file);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    try {
      all.push(...parseKeyValueFile(text, (k) => senv.env[k]));
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  all.push(...(f.env ?? []));
  let current: string[] = [];
  for (const env of all) {
    const eq = env.indexOf('=');
    const key = eq < 0 ? env : env.slice(0, eq);
    current = current.filter((c) => c === env || !c.startsWith(key + '='));
    current.push(env);
  }
  return current;
}

/**
 * ToService: the spec for `service create IMAGE ARGS...` from the flags. `networks` are the --network attachments
 * with their Target already resolved to a network ID (the caller asks the daemon).
 */
export function buildServiceSpec(f: ServiceFlags, image: string, args: readonly string[], networks: NetworkAttachmentConfig[], senv: SpecEnvironment): ServiceSpec {
  const env = makeEnv(f, f.envFile ?? [], senv);
  const health = healthConfig(f);
  const mode = serviceMode(f);
  const updateConfig = updateConfigFrom(f, 'update');
  const rollbackConfig = updateConfigFrom(f, 'rollback');
  if ((mode.ReplicatedJob || mode.GlobalJob) && (updateConfig || rollbackConfig)) {
    throw new CliError('update and rollback configuration is not supported for jobs');
  }
  const sortedNetworks = [...networks].sort((a, b) => ((a.Target ?? '') < (b.Target ?? '') ? -1 : (a.Target ?? '') > (b.Target ?? '') ? 1 : 0));
  const { capAdd, capDrop } = effectiveCaps(f.capAdd ?? [], f.capDrop ?? []);
  const spec: ServiceSpec = {
    Name: f.name ?? '',
    Labels: kvStringsToMap(f.label ?? []),
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: kvStringsToMap(f.containerLabel ?? []),
        Command: f.entrypoint ?? null,
        Args: args.length > 0 ? [...args] : null,
        Hostname: f.hostname ?? '',
        Env: env,
        Dir: f.workdir ?? '',
        User: f.user ?? '',
        Groups: f.group ?? null,
        Init: f.init === true,
        StopSignal: f.stopSignal ?? '',
        TTY: f.tty === true,
        ReadOnly: f.readOnly === true,
        Mounts: f.mount ?? null,
        DNSConfig: { Nameservers: f.dns ?? [], Search: f.dnsSearch ?? [], Options: f.dnsOption ?? [] },
        Hosts: swarmHosts(f.host ?? []),
        StopGracePeriod: f.stopGracePeriod ?? null,
        Healthcheck: health ?? null,
        Isolation: f.isolation ?? '',
        Sysctls: kvStringsToMap(f.sysctl ?? []),
        CapabilityAdd: capAdd,
        CapabilityDrop: capDrop,
        Ulimits: ulimitsSorted(f.ulimit ?? []),
        OomScoreAdj: f.oomScoreAdj ?? 0,
      },
      Networks: sortedNetworks,
      Resources: {
        Limits: { NanoCPUs: f.limitCpu ?? 0, MemoryBytes: f.limitMemory ?? 0, Pids: f.limitPids ?? 0 },
        Reservations: { NanoCPUs: f.reserveCpu ?? 0, MemoryBytes: f.reserveMemory ?? 0 },
      },
      RestartPolicy: restartPolicyFrom(f) ?? null,
      Placement: { Constraints: f.constraint ?? null, Preferences: f.placementPref ?? null, MaxReplicas: f.replicasMaxPerNode ?? 0 },
      LogDriver: (f.logDriver ?? '') === '' ? null : { Name: f.logDriver as string, Options: kvStringsToMap(f.logOpt ?? []) },
      ForceUpdate: 0,
    },
    Mode: mode,
    UpdateConfig: updateConfig ?? null,
    RollbackConfig: rollbackConfig ?? null,
    EndpointSpec: { Mode: (f.endpointMode ?? 'vip').toLowerCase(), Ports: f.publish ?? null },
  };
  if (f.credentialSpec !== undefined && f.credentialSpec.source !== '' && spec.TaskTemplate.ContainerSpec) {
    spec.TaskTemplate.ContainerSpec.Privileges = { CredentialSpec: f.credentialSpec.value, SELinuxContext: null };
  }
  return spec;
}

/** opts.UlimitOpt.GetList: the last value per name, sorted by name. */
export function ulimitsSorted<T extends { Name: string }>(values: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const u of values) byName.set(u.Name, u);
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}
