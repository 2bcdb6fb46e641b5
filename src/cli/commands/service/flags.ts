/**
 * The flags of `service create` and `service update`, declared on a commander Command with docker's names
 * (cli/command/service/opts.go addServiceFlags, create.go, update.go). No flag has a commander default, so a value
 * that is present is one the user gave: docker's `flags.Changed`. Values are checked when the flag is read, with
 * docker's messages, so a bad value is a flag error before anything is sent.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { ConfigReference, MountSpec, NetworkAttachmentConfig, PlacementPreference, PortConfig, SecretReference, UlimitSpec } from '../../../client/service-types.js';
import type { CliContext } from '../../context.js';
import { validateEnv, validateLabel } from '../container/env-values.js';
import { parseUlimit } from '../container/host-options.js';
import { parseMount } from '../container/mount-spec.js';
import { parseCPUs, ramInBytes } from '../container/units.js';
import {
  float32Value,
  goDuration,
  intValue,
  parseConfigRef,
  parseCredentialSpec,
  parseNetwork,
  parsePlacementPref,
  parsePorts,
  parseSecretRef,
  positiveDuration,
  shlexSplit,
  uintValue,
  validateExtraHost,
} from './values.js';
import type { CredentialSpecValue } from './values.js';

/** Parsed flags of `service create` / `service update`. Absent means "not given". */
export interface ServiceFlags {
  detach?: boolean;
  quiet?: boolean;
  workdir?: string;
  user?: string;
  credentialSpec?: CredentialSpecValue;
  hostname?: string;
  entrypoint?: string[];
  capAdd?: string[];
  capDrop?: string[];
  limitCpu?: number;
  limitMemory?: number;
  limitPids?: number;
  reserveCpu?: number;
  reserveMemory?: number;
  stopGracePeriod?: number;
  replicas?: number;
  maxConcurrent?: number;
  /** Shoal: the replicated job's TotalCompletions (docker spells it --replicas). */
  totalCompletions?: number;
  replicasMaxPerNode?: number;
  restartCondition?: string;
  restartDelay?: number;
  restartMaxAttempts?: number;
  restartWindow?: number;
  updateParallelism?: number;
  updateDelay?: number;
  updateMonitor?: number;
  updateFailureAction?: string;
  updateMaxFailureRatio?: number;
  updateOrder?: string;
  rollbackParallelism?: number;
  rollbackDelay?: number;
  rollbackMonitor?: number;
  rollbackFailureAction?: string;
  rollbackMaxFailureRatio?: number;
  rollbackOrder?: string;
  endpointMode?: string;
  withRegistryAuth?: boolean;
  /** false with --no-resolve-image. */
  resolveImage?: boolean;
  logDriver?: string;
  logOpt?: string[];
  healthCmd?: string;
  healthInterval?: number;
  healthTimeout?: number;
  healthRetries?: number;
  healthStartPeriod?: number;
  healthStartInterval?: number;
  /** false with --no-healthcheck. */
  healthcheck?: boolean;
  tty?: boolean;
  readOnly?: boolean;
  stopSignal?: string;
  isolation?: string;
  init?: boolean;
  oomScoreAdj?: number;

  // create
  mode?: string;
  name?: string;
  label?: string[];
  containerLabel?: string[];
  env?: string[];
  envFile?: string[];
  mount?: MountSpec[];
  constraint?: string[];
  placementPref?: PlacementPreference[];
  network?: NetworkAttachmentConfig[];
  secret?: SecretReference[];
  config?: ConfigReference[];
  publish?: PortConfig[];
  group?: string[];
  dns?: string[];
  dnsOption?: string[];
  dnsSearch?: string[];
  host?: string[];
  sysctl?: string[];
  ulimit?: UlimitSpec[];

  // update
  image?: string;
  args?: string[];
  rollback?: boolean;
  force?: boolean;
  envAdd?: string[];
  envRm?: string[];
  labelAdd?: string[];
  labelRm?: string[];
  containerLabelAdd?: string[];
  containerLabelRm?: string[];
  mountAdd?: MountSpec[];
  mountRm?: string[];
  constraintAdd?: string[];
  constraintRm?: string[];
  placementPrefAdd?: PlacementPreference[];
  placementPrefRm?: PlacementPreference[];
  networkAdd?: NetworkAttachmentConfig[];
  networkRm?: string[];
  publishAdd?: PortConfig[];
  publishRm?: PortConfig[];
  secretAdd?: SecretReference[];
  secretRm?: string[];
  configAdd?: ConfigReference[];
  configRm?: string[];
  groupAdd?: string[];
  groupRm?: string[];
  dnsAdd?: string[];
  dnsRm?: string[];
  dnsOptionAdd?: string[];
  dnsOptionRm?: string[];
  dnsSearchAdd?: string[];
  dnsSearchRm?: string[];
  hostAdd?: string[];
  hostRm?: string[];
  sysctlAdd?: string[];
  sysctlRm?: string[];
  ulimitAdd?: UlimitSpec[];
  ulimitRm?: string[];
}

/** A single-value parser whose Error becomes a commander flag error. */
export const value =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };

/** A repeatable flag; each value is checked (and may expand to several items, as `--publish 80-81:80-81` does). */
export const list =
  <T>(parse: (v: string) => T | T[]) =>
  (v: string, previous: T[] | undefined): T[] => {
    const parsed = value(parse)(v);
    return [...(previous ?? []), ...(Array.isArray(parsed) ? parsed : [parsed])];
  };

const strings = list((v) => v);
const ident = (v: string): string => v;

/** A boolean flag with a hidden `--no-<flag>`, so `--flag=false` (rewritten by index.ts) can set it to false. */
function boolWithNegation(cmd: Command, flags: string, description: string): void {
  cmd.option(flags, description);
  const long = /--([a-z-]+)/.exec(flags)?.[1] as string;
  cmd.addOption(new Option(`--no-${long}`).hideHelp());
}

/** The flags `create` and `update` share (docker's addServiceFlags). */
export function addServiceFlags(cmd: Command): Command {
  cmd
    .option('-d, --detach', 'Exit immediately instead of waiting for the service to converge')
    .option('-q, --quiet', 'Suppress progress output')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--credential-spec <credential-spec>', 'Credential spec for managed service account (Windows only)', value(parseCredentialSpec))
    .option('--hostname <string>', 'Container hostname')
    .option('--entrypoint <command>', 'Overwrite the default ENTRYPOINT of the image', value(shlexSplit))
    .option('--cap-add <list>', 'Add Linux capabilities', strings)
    .option('--cap-drop <list>', 'Drop Linux capabilities', strings)
    .option('--limit-cpu <decimal>', 'Limit CPUs', value(parseCPUs))
    .option('--limit-memory <bytes>', 'Limit Memory', value(ramInBytes))
    .option('--limit-pids <int>', 'Limit maximum number of processes (default 0 = unlimited)', value(intValue))
    .option('--reserve-cpu <decimal>', 'Reserve CPUs', value(parseCPUs))
    .option('--reserve-memory <bytes>', 'Reserve Memory', value(ramInBytes))
    .option('--stop-grace-period <duration>', 'Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)', value(goDuration))
    .option('--replicas <uint>', 'Number of tasks', value(uintValue))
    .option('--max-concurrent <uint>', 'Number of job tasks to run concurrently (default equal to --replicas)', value(uintValue))
    .option('--replicas-max-per-node <uint>', 'Maximum number of tasks per node (default 0 = unlimited)', value(uintValue))
    .option('--restart-condition <string>', 'Restart when condition is met ("none", "on-failure", "any") (default "any")', ident)
    .option('--restart-delay <duration>', 'Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)', value(goDuration))
    .option('--restart-max-attempts <uint>', 'Maximum number of restarts before giving up', value(uintValue))
    .option('--restart-window <duration>', 'Window used to evaluate the restart policy (ns|us|ms|s|m|h)', value(goDuration))
    .option('--update-parallelism <uint>', 'Maximum number of tasks updated simultaneously (0 to update all at once) (default 1)', value(uintValue))
    .option('--update-delay <duration>', 'Delay between updates (ns|us|ms|s|m|h) (default 0s)', value(goDuration))
    .option('--update-monitor <duration>', 'Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default 5s)', value(goDuration))
    .option('--update-failure-action <string>', 'Action on update failure ("pause", "continue", "rollback") (default "pause")', ident)
    .option('--update-max-failure-ratio <float>', 'Failure rate to tolerate during an update (default 0)', value(float32Value))
    .option('--update-order <string>', 'Update order ("start-first", "stop-first") (default "stop-first")', ident)
    .option('--rollback-parallelism <uint>', 'Maximum number of tasks rolled back simultaneously (0 to roll back all at once) (default 1)', value(uintValue))
    .option('--rollback-delay <duration>', 'Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s)', value(goDuration))
    .option('--rollback-monitor <duration>', 'Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h) (default 5s)', value(goDuration))
    .option('--rollback-failure-action <string>', 'Action on rollback failure ("pause", "continue") (default "pause")', ident)
    .option('--rollback-max-failure-ratio <float>', 'Failure rate to tolerate during a rollback (default 0)', value(float32Value))
    .option('--rollback-order <string>', 'Rollback order ("start-first", "stop-first") (default "stop-first")', ident)
    .option('--endpoint-mode <string>', 'Endpoint mode (vip or dnsrr) (default "vip")', ident)
    .option('--with-registry-auth', 'Send registry authentication details to swarm agents')
    .option('--no-resolve-image', 'Do not query the registry to resolve image digest and supported platforms')
    .option('--log-driver <string>', 'Logging driver for service', ident)
    .option('--log-opt <list>', 'Logging driver options', strings)
    .option('--health-cmd <string>', 'Command to run to check health', ident)
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h)', value(positiveDuration))
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h)', value(positiveDuration))
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', value(intValue))
    .option('--health-start-period <duration>', 'Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)', value(positiveDuration))
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h)', value(positiveDuration))
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .option('--stop-signal <string>', 'Signal to stop the container', ident)
    .option('--isolation <string>', 'Service container isolation mode', ident);
  boolWithNegation(cmd, '-t, --tty', 'Allocate a pseudo-TTY');
  boolWithNegation(cmd, '--read-only', "Mount the container's root filesystem as read only");
  boolWithNegation(cmd, '--init', 'Use an init inside each service container to forward signals and reap processes');
  cmd.option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000) ", value(intValue));
  return cmd;
}

/** `service create`'s own flags. `-e NAME` reads the CLI's environment, `--mount src=./x` the working directory. */
export function addCreateFlags(cmd: Command, ctx: CliContext, cwd: () => string): Command {
  addServiceFlags(cmd);
  return cmd
    .option('--mode <string>', 'Service mode ("replicated", "global", "replicated-job", "global-job") (default "replicated")', ident)
    .option('--total-completions <uint>', 'Number of job tasks to complete, replicated-job mode (Shoal; same as --replicas there)', value(uintValue))
    .option('--name <string>', 'Service name', ident)
    .option('-l, --label <list>', 'Service labels', list(validateLabel))
    .option('--container-label <list>', 'Container labels', list(validateLabel))
    .option('-e, --env <list>', 'Set environment variables', list((v) => validateEnv(v, ctx.env)))
    .option('--env-file <list>', 'Read in a file of environment variables', strings)
    .option('--mount <mount>', 'Attach a filesystem mount to the service', list((v) => parseMount(v, cwd())))
    .option('--constraint <list>', 'Placement constraints', strings)
    .option('--placement-pref <pref>', 'Add a placement preference', list(parsePlacementPref))
    .option('--network <network>', 'Network attachments', list(parseNetwork))
    .option('--secret <secret>', 'Specify secrets to expose to the service', list(parseSecretRef))
    .option('--config <config>', 'Specify configurations to expose to the service', list(parseConfigRef))
    .option('-p, --publish <port>', 'Publish a port as a node port', list(parsePorts))
    .option('--group <list>', 'Set one or more supplementary user groups for the container', strings)
    .option('--dns <list>', 'Set custom DNS servers', strings)
    .option('--dns-option <list>', 'Set DNS options', strings)
    .option('--dns-search <list>', 'Set custom DNS search domains', strings)
    .option('--host <list>', 'Set one or more custom host-to-IP mappings (host:ip)', list(validateExtraHost))
    .option('--sysctl <list>', 'Sysctl options', strings)
    .option('--ulimit <ulimit>', 'Ulimit options', list(parseUlimit));
}

/** `service update`'s own flags (docker's update.go). */
export function addUpdateFlags(cmd: Command, ctx: CliContext, cwd: () => string): Command {
  addServiceFlags(cmd);
  return cmd
    .option('--image <string>', 'Service image tag', ident)
    .option('--args <command>', 'Service command args', value(shlexSplit))
    .option('--rollback', 'Rollback to previous specification')
    .option('--force', 'Force update even if no changes require it')
    .option('--env-rm <list>', 'Remove an environment variable', strings)
    .option('--group-rm <list>', 'Remove a previously added supplementary user group from the container', strings)
    .option('--label-rm <list>', 'Remove a label by its key', strings)
    .option('--container-label-rm <list>', 'Remove a container label by its key', strings)
    .option('--mount-rm <list>', 'Remove a mount by its target path', strings)
    .option('--publish-rm <port>', 'Remove a published port by its target port', list(parsePorts))
    .option('--constraint-rm <list>', 'Remove a constraint', strings)
    .option('--dns-rm <list>', 'Remove a custom DNS server', strings)
    .option('--dns-option-rm <list>', 'Remove a DNS option', strings)
    .option('--dns-search-rm <list>', 'Remove a DNS search domain', strings)
    .option('--host-rm <list>', 'Remove a custom host-to-IP mapping ("host:ip")', strings)
    .option('--label-add <list>', 'Add or update a service label', list(validateLabel))
    .option('--container-label-add <list>', 'Add or update a container label', list(validateLabel))
    .option('--env-add <list>', 'Add or update an environment variable', list((v) => validateEnv(v, ctx.env)))
    .option('--secret-rm <list>', 'Remove a secret', strings)
    .option('--secret-add <secret>', 'Add or update a secret on a service', list(parseSecretRef))
    .option('--config-rm <list>', 'Remove a configuration file', strings)
    .option('--config-add <config>', 'Add or update a config file on a service', list(parseConfigRef))
    .option('--mount-add <mount>', 'Add or update a mount on a service', list((v) => parseMount(v, cwd())))
    .option('--constraint-add <list>', 'Add or update a placement constraint', strings)
    .option('--placement-pref-add <pref>', 'Add a placement preference', list(parsePlacementPref))
    .option('--placement-pref-rm <pref>', 'Remove a placement preference', list(parsePlacementPref))
    .option('--network-add <network>', 'Add a network', list(parseNetwork))
    .option('--network-rm <list>', 'Remove a network', strings)
    .option('--publish-add <port>', 'Add or update a published port', list(parsePorts))
    .option('--group-add <list>', 'Add an additional supplementary user group to the container', strings)
    .option('--dns-add <list>', 'Add or update a custom DNS server', strings)
    .option('--dns-option-add <list>', 'Add or update a DNS option', strings)
    .option('--dns-search-add <list>', 'Add or update a custom DNS search domain', strings)
    .option('--host-add <list>', 'Add a custom host-to-IP mapping ("host:ip")', list(validateExtraHost))
    .option('--sysctl-add <list>', 'Add or update a Sysctl option', strings)
    .option('--sysctl-rm <list>', 'Remove a Sysctl option', strings)
    .option('--ulimit-add <ulimit>', 'Add or update a ulimit option', list(parseUlimit))
    .option('--ulimit-rm <list>', 'Remove a ulimit option', strings);
}

/** Whether any of these flags was given (docker's anyChanged), by their ServiceFlags keys. */
export function anyChanged(f: ServiceFlags, ...keys: (keyof ServiceFlags)[]): boolean {
  return keys.some((k) => f[k] !== undefined);
}
