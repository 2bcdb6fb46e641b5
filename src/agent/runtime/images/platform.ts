/**
 * Platforms (`os/architecture[/variant]`) and the choice of one manifest from an index or manifest list: the exact
 * platform first, then the same os/architecture with any variant (arm64 images often omit `v8`).
 */
import { invalidArgument } from '../../../api/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Partial<Record<NodeJS.Architecture, Omit<Platform, 'os'>>> = {
  x64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64', variant: 'v8' },
  arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' },
};

export function hostPlatform(): Platform {
  return { os: 'linux', ...(NODE_ARCH[process.arch] ?? { architecture: process.arch }) };
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, ...rest] = s.split('/');
  if (os === undefined || os === '' || architecture === undefined || architecture === '' || rest.length > 0) {
    throw invalidArgument('image.invalid_platform', `invalid platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  }
  return variant !== undefined && variant !== '' ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant !== undefined ? `/${p.variant}` : ''}`;
}

interface WithPlatform {
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
}

/** The best entry of an index for `want`, or undefined. */
export function choosePlatform<T extends WithPlatform>(entries: readonly T[], want: Platform): T | undefined {
  const same = entries.filter((e) => e.platform?.os === want.os && e.platform.architecture === want.architecture);
  return same.find((e) => (e.platform?.variant ?? undefined) === want.variant) ?? same.find((e) => e.platform?.variant === undefined) ?? same[0];
}
