/**
 * One lab claim at a time on a machine (checking that a name is free, choosing a subnet, writing lab.json):
 * `<exec base>/.lock`, created exclusively and holding the owner's PID. A lock whose owner is gone is taken over;
 * a live owner is waited for, up to a deadline.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { unavailable } from '../api/errors.js';
import { isAlive } from './host.js';
import type { LabBases } from './names.js';

export async function withLabLock<T>(bases: LabBases, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  mkdirSync(bases.exec, { recursive: true, mode: 0o755 });
  const path = `${bases.exec}/.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        // A `lab down` removed the (then empty) base directory in between.
        mkdirSync(bases.exec, { recursive: true, mode: 0o755 });
        continue;
      }
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue; // removed between open and read: try again
      }
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw unavailable('lab.busy', `another lab command (PID ${owner}) holds ${path}; try again when it is done`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
