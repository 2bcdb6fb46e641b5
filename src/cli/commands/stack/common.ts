/**
 * What the stack verbs share (the docker CLI's cli/command/stack/common.go): the namespace label filter every
 * lookup goes through (`com.docker.stack.namespace=<stack>`; `stack ls` uses the key alone), the stack's services,
 * networks, secrets, configs and tasks, and reading the compose files (-c, `-` for stdin) into a ComposeProject
 * through the pure loader (files, `.env` and env_file are read here, in the CLI layer).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { configListAll, secretListAll } from '../../../client/secrets.js';
import { networkList } from '../../../client/networks.js';
import { serviceList, taskList } from '../../../client/services.js';
import type { FilterMap, Service, Task } from '../../../client/service-types.js';
import type { EngineClient } from '../../../client/index.js';
import type { Config, Network, Secret } from '../../../api/types.js';
import { loadProject } from '../../../compose/model/load.js';
import { LABEL_NAMESPACE } from '../../../compose/model/stack.js';
import type { ComposeProject } from '../../../compose/model/types.js';
import { CliError } from '../../errors.js';

export function stackFilter(stack: string, extra: FilterMap = {}): FilterMap {
  return { ...extra, label: { ...(extra.label ?? {}), [`${LABEL_NAMESPACE}=${stack}`]: true } };
}

export const allStacksFilter = (): FilterMap => ({ label: { [LABEL_NAMESPACE]: true } });

export const stackServices = (client: EngineClient, stack: string, o: { status?: boolean } = {}): Promise<Service[]> =>
  serviceList(client, { filters: stackFilter(stack), ...(o.status === true ? { status: true } : {}) });
export const stackNetworks = (client: EngineClient, stack: string): Promise<Network[]> => networkList(client, stackFilter(stack));
export const stackSecrets = (client: EngineClient, stack: string): Promise<Secret[]> => secretListAll(client, stackFilter(stack));
export const stackConfigs = (client: EngineClient, stack: string): Promise<Config[]> => configListAll(client, stackFilter(stack));
export const stackTasks = (client: EngineClient, stack: string, extra?: FilterMap): Promise<Task[]> => taskList(client, stackFilter(stack, extra));

/** validateStackName: docker refuses a name that is empty or only quotes and white space. */
export function checkStackName(stack: string): void {
  if (stack.replace(/^[\s"']+|[\s"']+$/g, '') === '') throw new CliError(`invalid stack name: ${JSON.stringify(stack)}`);
}

/** The machine the compose files come from: files, stdin, the environment. Tests script it. */
export interface ComposeHost {
  readFile(path: string): string | undefined;
  /** A secret's or config's file, as bytes; undefined when it does not exist. */
  readBytes(path: string): Uint8Array | undefined;
  readStdin(): string;
  cwd(): string;
  env: Readonly<Record<string, string | undefined>>;
}

export function processComposeHost(env: Readonly<Record<string, string | undefined>>): ComposeHost {
  return {
    readFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    readBytes: (p) => {
      try {
        return readFileSync(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    readStdin: () => readFileSync(0, 'utf8'),
    cwd: () => process.cwd(),
    env,
  };
}

/** The -c files in order (`-` = stdin), read. */
export function readComposeFiles(host: ComposeHost, files: readonly string[]): { path: string; content: string }[] {
  if (files.length === 0) throw new CliError('Specify a Compose file (with --compose-file)');
  const loaded: { path: string; content: string }[] = [];
  for (const f of files) {
    if (f === '-') {
      loaded.push({ path: resolve(host.cwd(), 'stdin'), content: host.readStdin() });
      continue;
    }
    const path = resolve(host.cwd(), f);
    const content = host.readFile(path);
    if (content === undefined) throw new CliError(`open ${path}: no such file or directory`);
    loaded.push({ path, content });
  }
  return loaded;
}

/**
 * loader.LoadComposefile: the -c files in order (`-` = stdin), the working dir that of the first file. `loaded`:
 * the files already read by readComposeFiles (stdin can be read only once).
 */
export function loadComposeFiles(host: ComposeHost, files: readonly string[], projectName?: string, loaded = readComposeFiles(host, files)): ComposeProject {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(host.env)) if (v !== undefined) env[k] = v;
  const first = files[0] === '-' ? host.cwd() : dirname(loaded[0]?.path ?? host.cwd());
  return loadProject({
    files: loaded,
    workingDir: first,
    env,
    readFile: (p) => host.readFile(resolve(first, p)),
    ...(projectName !== undefined ? { projectName } : {}),
  });
}
