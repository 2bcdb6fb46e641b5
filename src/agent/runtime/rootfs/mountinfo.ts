/**
 * /proc/self/mountinfo: what is mounted where, in the mount namespace runc and the agent share. The parser is
 * pure; `readMountinfo` reads the live table.
 */
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  id: number;
  parent: number;
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
  superOptions: string;
}

/** Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      mountPoint: unescape(f[4] ?? ''),
      options: f[5] ?? '',
      fsType: f[dash + 1] ?? '',
      source: unescape(f[dash + 2] ?? ''),
      superOptions: f[dash + 3] ?? '',
    });
  }
  return out;
}

export async function readMountinfo(): Promise<MountEntry[]> {
  return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Mounts at `dir` or below it, deepest first (the order to unmount them in). */
export function mountsUnder(entries: readonly MountEntry[], dir: string): MountEntry[] {
  const base = dir.endsWith('/') ? dir.slice(0, -1) : dir;
  return entries
    .filter((e) => e.mountPoint === base || e.mountPoint.startsWith(base + '/'))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.id - a.id);
}
