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
