/** `image ls` rows and tables, as docker/cli's image formatter prints them (golden strings from its rules). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageSummary } from '../../../client/image-types.js';
import { renderList } from '../../format/index.js';
import { IMAGE_HEADERS, imageFormat, imageRow, imageRowKeys } from './image-rows.js';

const now = Date.UTC(2024, 4, 1, 12, 0, 0);
const s = now / 1000;
const A = 'sha256:' + 'a'.repeat(64);
const B = 'sha256:' + 'b'.repeat(64);

function image(p: Partial<ImageSummary>): ImageSummary {
  return { Id: '', ParentId: '', RepoTags: [], RepoDigests: [], Created: s, Size: 0, SharedSize: -1, Labels: null, Containers: -1, ...p };
}

const images: ImageSummary[] = [
  image({ Id: 'sha256:1234567890ab' + 'c'.repeat(52), RepoTags: ['busybox:latest', 'busybox:1.36'], RepoDigests: [`busybox@${A}`], Created: s - 2 * 86400, Size: 4_261_550 }),
  image({ Id: 'sha256:dddddddddddd' + 'e'.repeat(52), RepoTags: [], RepoDigests: [], Created: s - 3600, Size: 999_500 }),
  image({ Id: 'sha256:ffffffffffff' + '0'.repeat(52), RepoTags: null, RepoDigests: [`127.0.0.1:5000/app@${B}`], Created: s - 60, Size: 1_240_000_000 }),
];

function ls(format: string | undefined, o: { quiet?: boolean; digests?: boolean; trunc?: boolean } = {}): string {
  const f = imageFormat(format, o.quiet === true, o.digests === true);
  const need = o.digests === true || f.includes('{{.Digest}}');
  const rows = images.flatMap((img) => imageRowKeys(img, o.digests === true, need).map((k) => imageRow(img, k, o.trunc !== false, now)));
  return renderList(rows, { format: f, defaultTable: f, headers: IMAGE_HEADERS });
}

describe('image ls output (docker/cli image formatter)', () => {
  it('prints a row per tag, <none> for dangling and digest-only images, sizes with 3 digits', () => {
    assert.equal(
      ls(undefined),
      [
        'REPOSITORY           TAG       IMAGE ID       CREATED              SIZE',
        'busybox              latest    1234567890ab   2 days ago           4.26MB',
        'busybox              1.36      1234567890ab   2 days ago           4.26MB',
        '<none>               <none>    dddddddddddd   About an hour ago    1e+03kB',
        '127.0.0.1:5000/app   <none>    ffffffffffff   About a minute ago   1.24GB',
        '',
      ].join('\n'),
    );
  });

  it('--digests adds DIGEST and one row per digest', () => {
    assert.equal(
      ls(undefined, { digests: true }),
      [
        'REPOSITORY           TAG       DIGEST                                                                    IMAGE ID       CREATED              SIZE',
        `busybox              latest    ${A}   1234567890ab   2 days ago           4.26MB`,
        `busybox              1.36      ${A}   1234567890ab   2 days ago           4.26MB`,
        '<none>               <none>    <none>                                                                    dddddddddddd   About an hour ago    1e+03kB',
        `127.0.0.1:5000/app   <none>    ${B}   ffffffffffff   About a minute ago   1.24GB`,
        '',
      ].join('\n'),
    );
  });

  it('-q prints an ID per row; --no-trunc the full ID', () => {
    assert.equal(ls(undefined, { quiet: true }), ['1234567890ab', '1234567890ab', 'dddddddddddd', 'ffffffffffff', ''].join('\n'));
    assert.equal(ls('{{.ID}}', { trunc: false }).split('\n')[0], images[0]?.Id);
    assert.match(ls('table {{.Repository}}:{{.Tag}}', { digests: true }).split('\n')[0] ?? '', /^REPOSITORY:TAG\s+DIGEST$/);
  });

  it('{{json .}} has the context methods, keys sorted', () => {
    const row = JSON.parse(ls('{{json .}}').split('\n')[0] ?? '') as Record<string, string>;
    assert.deepEqual(Object.keys(row), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']);
    assert.deepEqual([row.Containers, row.Digest, row.Size, row.VirtualSize, row.SharedSize, row.UniqueSize], ['N/A', '<none>', '4.26MB', '4.262MB', 'N/A', 'N/A']);
  });
});
