/**
 * docker's image formatter (cli/command/formatter/image.go) for `image ls`: one row per repository:tag (per digest
 * too with --digests), `<none>` rows for dangling images, the row context's method names, tables and headers.
 */
import type { ImageSummary } from '../../../client/image-types.js';
import { GoStruct, humanAgo } from '../../format/index.js';
import { goLocalTime } from '../container/display.js';
import { humanSize, humanSizeWithPrecision, truncateID } from '../container/units.js';
import { familiarName, parseNormalizedNamed } from './reference.js';

export const DEFAULT_IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const DEFAULT_IMAGE_TABLE_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** docker's NewImageFormat. */
export function imageFormat(source: string | undefined, quiet: boolean, digest: boolean): string {
  const s = source === undefined || source === '' ? 'table' : source;
  if (s === 'table') return quiet ? '{{.ID}}' : digest ? DEFAULT_IMAGE_TABLE_WITH_DIGEST : DEFAULT_IMAGE_TABLE;
  if (s === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (s.startsWith('table') && digest && !s.includes('{{.Digest}}')) return s + '\t{{.Digest}}';
  return s;
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

export interface ImageRowKey {
  repo: string;
  tag: string;
  digest: string;
}

/** The (repository, tag, digest) rows of one image, in docker's order (tags first, then digest-only rows). */
export function imageRowKeys(img: ImageSummary, showDigests: boolean, needDigest: boolean): ImageRowKey[] {
  if (isDangling(img)) return [{ repo: '<none>', tag: '<none>', digest: '<none>' }];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const s of img.RepoTags ?? []) {
    try {
      const ref = parseNormalizedNamed(s);
      if (ref.tag === undefined) continue;
      const name = familiarName(ref);
      repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
    } catch {
      // unparsable references are skipped, as docker does
    }
  }
  for (const s of img.RepoDigests ?? []) {
    try {
      const ref = parseNormalizedNamed(s);
      if (ref.digest === undefined) continue;
      const name = familiarName(ref);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
    } catch {
      // skipped
    }
  }
  const rows: ImageRowKey[] = [];
  for (const [repo, tags] of repoTags) {
    const digests = needDigest ? (repoDigests.get(repo) ?? []) : [];
    repoDigests.delete(repo);
    for (const tag of tags) {
      if (digests.length === 0) rows.push({ repo, tag, digest: '<none>' });
      else for (const d of digests) rows.push({ repo, tag, digest: d });
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (showDigests) for (const d of digests) rows.push({ repo, tag: '<none>', digest: d });
    else rows.push({ repo, tag: '<none>', digest: '' });
  }
  return rows;
}

/** The row context (docker's imageContext). */
export function imageRow(img: ImageSummary, key: ImageRowKey, trunc: boolean, now: number): GoStruct {
  return new GoStruct(
    '*formatter.imageContext',
    {
      Containers: () => (img.Containers === -1 ? 'N/A' : String(img.Containers)),
      CreatedAt: () => goLocalTime(img.Created),
      CreatedSince: () => humanAgo(img.Created * 1000, now),
      Digest: () => key.digest,
      ID: () => (trunc ? truncateID(img.Id) : img.Id),
      Repository: () => key.repo,
      SharedSize: () => (img.SharedSize === -1 ? 'N/A' : humanSize(img.SharedSize)),
      Size: () => humanSizeWithPrecision(img.Size, 3),
      Tag: () => key.tag,
      UniqueSize: () => (img.Size === -1 || img.SharedSize === -1 ? 'N/A' : humanSize(img.Size - img.SharedSize)),
      VirtualSize: () => humanSize(img.Size),
    },
    'methods',
  );
}
