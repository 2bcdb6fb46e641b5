/**
 * What the service verbs need from the machine they run on, behind one seam so tests can script it: files
 * (`--env-file`), the user's registry credentials (`--with-registry-auth`), the clock, and the convergence loop's
 * terminal, pause and interrupt (progress.ts).
 */
import { readFileSync } from 'node:fs';
import { processTerminal } from '../container/terminal.js';
import { encodeAuth, registryAuthFor } from '../image/registry-auth.js';
import { parseNormalizedNamed } from '../image/reference.js';
import { processWaitEnvironment } from './progress.js';
import type { WaitEnvironment } from './progress.js';

export interface ServiceHost {
  readFile: (path: string) => string;
  /** Milliseconds since the epoch (CURRENT STATE ages, `--since`). */
  now: () => number;
  /** A fresh environment for one convergence wait; `dispose()` when done. */
  waitEnvironment: () => WaitEnvironment & { dispose(): void };
}

export function processServiceHost(): ServiceHost {
  return {
    readFile: (p) => readFileSync(p, 'utf8'),
    now: () => Date.now(),
    waitEnvironment: () => processWaitEnvironment(processTerminal()),
  };
}

/** command.RetrieveAuthTokenFromImage: the `X-Registry-Auth` value for the image's registry (`e30=` when none). */
export function registryAuthForImage(image: string, env: Readonly<Record<string, string | undefined>>): string {
  let domain = 'docker.io';
  try {
    domain = parseNormalizedNamed(image).domain;
  } catch {
    // docker fails here on a bad reference; the daemon will report it
  }
  return registryAuthFor(domain, env) ?? encodeAuth({});
}
