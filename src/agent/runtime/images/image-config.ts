/**
 * The image config blob (OCI image-spec `config.json`, docker's image JSON): validated where the store depends on
 * it (rootfs.diff_ids), and turned into the port's ImageRecord.
 */
import type { ImageConfig, ImageRecord } from './store-port.js';
import { isDigest } from './digest.js';
import { archiveInvalid } from './errors.js';

export interface ParsedConfig {
  raw: Record<string, unknown>;
  diffIds: string[];
  architecture: string;
  os: string;
  variant?: string;
  created: string;
  config: ImageConfig;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseImageConfig(bytes: Uint8Array, what: string): ParsedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw archiveInvalid(`${what}: image config is not valid JSON`);
  }
  if (!isObject(raw)) throw archiveInvalid(`${what}: image config is not a JSON object`);
  const rootfs = raw.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every(isDigest)) {
    throw archiveInvalid(`${what}: image config has no valid rootfs.diff_ids`);
  }
  const config = isObject(raw.config) ? (raw.config as ImageConfig) : {};
  const out: ParsedConfig = {
    raw,
    diffIds: rootfs.diff_ids as string[],
    architecture: typeof raw.architecture === 'string' ? raw.architecture : '',
    os: typeof raw.os === 'string' ? raw.os : '',
    created: typeof raw.created === 'string' ? raw.created : '0001-01-01T00:00:00Z',
    config,
  };
  if (typeof raw.variant === 'string' && raw.variant !== '') out.variant = raw.variant;
  return out;
}

export function toImageRecord(id: string, p: ParsedConfig, refs: { repoTags: string[]; repoDigests: string[] }, size: number): ImageRecord {
  const r: ImageRecord = {
    id,
    repoTags: [...refs.repoTags],
    repoDigests: [...refs.repoDigests],
    created: p.created,
    architecture: p.architecture,
    os: p.os,
    config: p.config,
    diffIds: [...p.diffIds],
    size,
    rawConfig: p.raw,
  };
  if (p.variant !== undefined) r.variant = p.variant;
  return r;
}
