/**
 * Finding and loading the compose project for `shoal compose`: `-f` files (else `compose.yaml`, `compose.yml`,
 * `docker-compose.yml`, `docker-compose.yaml` in the project directory, which is `--project-directory` or the first
 * file's directory), read with node:fs together with `.env`, env_file and `file:` references through
 * `loadProject`'s `readFile`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadProject } from '../../../compose/model/load.js';
import type { ComposeProject } from '../../../compose/model/types.js';
import type { CliContext } from '../../context.js';
import { CliError } from '../../errors.js';

export interface ComposeGlobalOptions {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
}

export interface LoadedProject {
  project: ComposeProject;
  workingDir: string;
  configFiles: string[];
}

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

function readOptional(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The compose files to read, absolute; a CliError when there is none. */
export function composeFiles(o: ComposeGlobalOptions, cwd: string): string[] {
  if (o.file !== undefined && o.file.length > 0) {
    return o.file.map((f) => {
      const p = isAbsolute(f) ? f : resolve(o.projectDirectory !== undefined ? resolve(cwd, o.projectDirectory) : cwd, f);
      if (!existsSync(p)) throw new CliError(`open ${p}: no such file or directory`);
      return p;
    });
  }
  const dir = resolve(cwd, o.projectDirectory ?? '.');
  for (const name of DEFAULT_FILES) {
    const p = resolve(dir, name);
    if (existsSync(p)) return [p];
  }
  throw new CliError(`no configuration file provided: not found (looked for ${DEFAULT_FILES.join(', ')} in ${dir})`);
}

/** Loads the project; located model errors come out as the loader wrote them. */
export function loadComposeProject(ctx: CliContext, o: ComposeGlobalOptions, cwd = process.cwd()): LoadedProject {
  const files = composeFiles(o, cwd);
  const workingDir = o.projectDirectory !== undefined ? resolve(cwd, o.projectDirectory) : dirname(files[0] as string);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
  const projectName = o.projectName ?? env.COMPOSE_PROJECT_NAME;
  const project = loadProject({
    files: files.map((path) => ({ path, content: readFileSync(path, 'utf8') })),
    workingDir,
    env,
    readFile: (p) => readOptional(isAbsolute(p) ? p : resolve(workingDir, p)),
    ...(projectName !== undefined && projectName !== '' ? { projectName } : {}),
  });
  return { project, workingDir, configFiles: files };
}

/**
 * The project name alone, for verbs that can work from labels when there is no file (`down -p x`, `ps -p x`):
 * `-p`, then $COMPOSE_PROJECT_NAME, then the loaded file's name.
 */
export function tryLoadProject(ctx: CliContext, o: ComposeGlobalOptions, cwd = process.cwd()): { name: string; loaded?: LoadedProject } {
  const explicit = o.projectName ?? ctx.env.COMPOSE_PROJECT_NAME;
  try {
    const loaded = loadComposeProject(ctx, o, cwd);
    return { name: loaded.project.name, loaded };
  } catch (e) {
    if (explicit !== undefined && explicit !== '' && e instanceof CliError && (o.file === undefined || o.file.length === 0)) return { name: explicit };
    throw e;
  }
}
