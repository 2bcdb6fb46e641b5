/**
 * Debian's `docker-compose` (Compose v1, python, 1.29 on Debian 12) for benchmarks: installed with apt-get when
 * missing, like bench/lib/dockerd.ts installs docker.io. It has no `--wait`: callers poll the Engine API.
 */
import { spawnSync } from 'node:child_process';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', timeout: 5000 }).status === 0;
}

export function ensureDockerCompose(progress: (msg: string) => void): void {
  if (onPath('docker-compose')) return;
  if (process.getuid?.() !== 0) throw new Error('docker-compose is missing, and installing it needs root');
  progress("docker-compose is missing: installing Debian's docker-compose (apt-get update; apt-get install -y --no-install-recommends docker-compose)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 2, 2], env, timeout: 300_000 });
  if (update.status !== 0) throw new Error(`apt-get update failed (${update.status ?? update.signal ?? 'unknown'})`);
  const install = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'docker-compose'], { stdio: ['ignore', 2, 2], env, timeout: 600_000 });
  if (install.status !== 0) throw new Error(`apt-get install docker-compose failed (${install.status ?? install.signal ?? 'unknown'})`);
  if (!onPath('docker-compose')) throw new Error('docker-compose is installed but still not on PATH');
}

/** `docker-compose version --short`, e.g. `1.29.2`. */
export function dockerComposeVersion(): string {
  const r = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8', timeout: 15_000 });
  return (r.stdout ?? '').trim();
}
