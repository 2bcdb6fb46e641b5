/**
 * The flags `run` and `create` share (docker's containerOptions plus createOptions), declared on a commander
 * Command. Values are checked as the docker CLI checks them when the flag is set (sizes, CPUs, durations, env,
 * labels, sysctls, ulimits, mounts, -a), so a bad value is a flag error (exit 125) before anything is sent.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import type { MountSpec } from '../../../client/container-types.js';
import type { CliContext } from '../../context.js';
import { durationOption } from '../../options.js';
import { validateEnv, validateLabel } from './env-values.js';
import { parseUlimit, validateAttach, validateSysctl } from './host-options.js';
import { parseMount } from './mount-spec.js';
import { parseCPUs, ramInBytes } from './units.js';

/** Parsed flags of `run` / `create`. Absent means "not given" (docker's `flags.Changed` is false). */
export interface CreateFlags {
  attach?: string[];
  env?: string[];
  envFile?: string[];
  entrypoint?: string;
  hostname?: string;
  domainname?: string;
  interactive?: boolean;
  tty?: boolean;
  label?: string[];
  labelFile?: string[];
  readOnly?: boolean;
  restart?: string;
  stopSignal?: string;
  stopTimeout?: number;
  sysctl?: string[];
  ulimit?: string[];
  user?: string;
  workdir?: string;
  rm?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  volume?: string[];
  mount?: MountSpec[];
  tmpfs?: string[];
  healthCmd?: string;
  healthInterval?: number;
  healthTimeout?: number;
  healthStartPeriod?: number;
  healthStartInterval?: number;
  healthRetries?: number;
  /** false with --no-healthcheck (commander's negated flag). */
  healthcheck?: boolean;
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  shmSize?: number;
  cpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  oomScoreAdj?: number;
  init?: boolean;
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  groupAdd?: string[];
  name?: string;
  platform?: string;
  pull?: string;
  quiet?: boolean;
}

const wrap =
  <T>(parse: (v: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };

/** A repeatable flag whose values are checked by `parse` (its Error becomes commander's InvalidArgumentError). */
export const list =
  <T>(parse: (v: string) => T) =>
  (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), wrap(parse)(value)];

const strings = list((v) => v);

function intValue(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

function memSwap(v: string): number {
  return v === '-1' ? -1 : ramInBytes(v);
}

/** Declares the container flags on `cmd` (`-e NAME` reads `ctx.env`, `--mount src=./x` the working directory). */
export function addCreateFlags(cmd: Command, ctx: CliContext, cwd: () => string): Command {
  return (
    cmd
      .helpOption('--help', 'Print usage')
      .option('--name <string>', 'Assign a name to the container')
      .option('--platform <string>', 'Set platform if server is multi-platform capable')
      .option('--pull <string>', 'Pull image before running ("always", "missing", "never")', 'missing')
      .option('-q, --quiet', 'Suppress the pull output')
      .option('-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', list(validateAttach))
      .option('-e, --env <list>', 'Set environment variables', list((v) => validateEnv(v, ctx.env)))
      .option('--env-file <list>', 'Read in a file of environment variables', strings)
      .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
      .option('-h, --hostname <string>', 'Container host name')
      .option('--domainname <string>', 'Container NIS domain name')
      .option('-i, --interactive', 'Keep STDIN open even if not attached')
      .option('-t, --tty', 'Allocate a pseudo-TTY')
      .option('-l, --label <list>', 'Set meta data on a container', list(validateLabel))
      .option('--label-file <list>', 'Read in a line delimited file of labels', strings)
      .option('--read-only', "Mount the container's root filesystem as read only")
      .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
      .option('--stop-signal <string>', 'Signal to stop the container')
      .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container', wrap(intValue))
      .option('--sysctl <map>', 'Sysctl options', list(validateSysctl))
      .option('--ulimit <ulimit>', 'Ulimit options', list((v) => {
        parseUlimit(v);
        return v;
      }))
      .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
      .option('-w, --workdir <string>', 'Working directory inside the container')
      .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
      .option('--cap-add <list>', 'Add Linux capabilities', strings)
      .option('--cap-drop <list>', 'Drop Linux capabilities', strings)
      .option('--privileged', 'Give extended privileges to this container')
      .option('-v, --volume <list>', 'Bind mount a volume', strings)
      .option('--mount <mount>', 'Attach a filesystem mount to the container', list((v) => parseMount(v, cwd())))
      .option('--tmpfs <list>', 'Mount a tmpfs directory', strings)
      .option('--health-cmd <string>', 'Command to run to check health')
      .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)', durationOption)
      .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', wrap(intValue))
      .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', durationOption)
      .option(
        '--health-start-period <duration>',
        'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)',
        durationOption,
      )
      .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', durationOption)
      .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
      .option('-m, --memory <bytes>', 'Memory limit', wrap(ramInBytes))
      .option('--memory-reservation <bytes>', 'Memory soft limit', wrap(ramInBytes))
      .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", wrap(memSwap))
      .option('--shm-size <bytes>', 'Size of /dev/shm', wrap(ramInBytes))
      .option('--cpus <decimal>', 'Number of CPUs', wrap(parseCPUs))
      .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', wrap(intValue))
      .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)', wrap(intValue))
      .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)", wrap(intValue))
      .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
      .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', strings)
      .option('--dns <list>', 'Set custom DNS servers', strings)
      .option('--dns-search <list>', 'Set custom DNS search domains', strings)
      .option('--dns-option <list>', 'Set DNS options', strings)
      .option('--group-add <list>', 'Add additional groups to join', strings)
  );
}
