/** Helpers every benchmark uses: option parsing, progress on stderr, the daemon bundle, tool versions. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SHOAL_BUNDLE } from '../../test/harness/daemon.js';

/** An integer option within [min, max], or `def` when absent; a clear error otherwise. */
export function intOption(raw: string | undefined, name: string, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, not ${raw}`);
  return n;
}

export type EngineName = 'shoal' | 'docker';

/** The options of every benchmark that compares engines; spread them into `parseArgs`' options. */
export const ENGINE_RUN_OPTIONS = {
  only: { type: 'string' },
  'poll-ms': { type: 'string' },
  'phase-timeout': { type: 'string' },
  timeout: { type: 'string' },
  'no-install': { type: 'boolean' },
  build: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export interface EngineRunOptions {
  engines: EngineName[];
  pollMs: number;
  phaseTimeoutS: number;
  timeoutS: number;
  install: boolean;
  build: boolean;
}

/**
 * Reads the ENGINE_RUN_OPTIONS values: `--help` prints `usage` and exits; `--only` picks one engine of `engines`
 * (both, in that order, otherwise); the timeouts are `[default, min, max]` in seconds.
 */
export function engineRunOptions(
  values: { only?: string; 'poll-ms'?: string; 'phase-timeout'?: string; timeout?: string; 'no-install'?: boolean; build?: boolean; help?: boolean },
  usage: string,
  d: { engines: EngineName[]; phaseTimeoutS: [number, number, number]; timeoutS: [number, number, number] },
): EngineRunOptions {
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const only = values.only;
  if (only !== undefined && only !== 'shoal' && only !== 'docker') throw new Error(`--only must be shoal or docker, not ${only}`);
  return {
    engines: only === undefined ? d.engines : [only],
    pollMs: intOption(values['poll-ms'], 'poll-ms', 100, 20, 1000),
    phaseTimeoutS: intOption(values['phase-timeout'], 'phase-timeout', ...d.phaseTimeoutS),
    timeoutS: intOption(values.timeout, 'timeout', ...d.timeoutS),
    install: values['no-install'] !== true,
    build: values.build === true,
  };
}

/** Progress goes to stderr; stdout keeps the results. */
export const progress = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};

/** The daemon bundle: built when missing (or with --build); a warning when src/ is newer than it. */
export function ensureBundle(force: boolean): void {
  if (force || !existsSync(SHOAL_BUNDLE)) {
    progress('building dist/shoal.cjs (npm run build)');
    const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: ['ignore', 2, 2], timeout: 180_000 });
    if (r.status !== 0) throw new Error(`npm run build failed (${r.status ?? r.signal ?? 'unknown'})`);
    return;
  }
  const built = statSync(SHOAL_BUNDLE).mtimeMs;
  const src = join(REPO, 'src');
  const newer = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(src, f)).mtimeMs > built);
  if (newer.length > 0) progress(`warning: ${newer.length} file(s) in src/ are newer than dist/shoal.cjs (e.g. src/${newer[0] ?? ''}); pass --build to measure them`);
}

/** The first line a tool prints for `args` (its version, typically). */
export function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return (r.stdout ?? '').split('\n')[0]?.trim() ?? '';
}
