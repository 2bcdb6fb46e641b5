/** `ps` rows and table, as docker/cli's container formatter prints them (golden strings from its rules). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSummary, PortSummary } from '../../../client/container-types.js';
import { renderList } from '../../format/index.js';
import { CONTAINER_HEADERS, containerFormat, containerRow, displayablePorts } from './container-rows.js';

const now = Date.UTC(2024, 4, 1, 12, 0, 0);
const s = now / 1000;

function summary(p: Partial<ContainerSummary>): ContainerSummary {
  return { Id: '', Names: [], Image: '', ImageID: '', Command: '', Created: s, Ports: [], Labels: null, State: 'running', Status: '', Mounts: [], ...p };
}

const containers: ContainerSummary[] = [
  summary({
    Id: 'a1b2c3d4e5f6'.padEnd(64, '0'),
    Names: ['/web'],
    Image: 'nginx:alpine',
    ImageID: 'sha256:' + '1'.repeat(64),
    Command: "nginx -g 'daemon off;'",
    Created: s - 120,
    Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
    Labels: { 'com.example.team': 'web', tier: 'front' },
    Status: 'Up 2 minutes',
  }),
  summary({
    Id: 'ffeeddccbbaa'.padEnd(64, '9'),
    Names: ['/db'],
    Image: 'postgres@sha256:' + '2'.repeat(64),
    ImageID: 'sha256:' + '4'.repeat(64),
    Command: 'docker-entrypoint.sh postgres',
    Created: s - 3 * 3600,
    State: 'exited',
    Status: 'Exited (0) 3 seconds ago',
    Mounts: [{ Name: 'pgdata0123456789abcdef', Source: '/var/lib/shoal/volumes/pgdata', Driver: 'local' }],
  }),
  summary({
    Id: '0123456789ab'.padEnd(64, '7'),
    Names: ['/quirky_id'],
    Image: 'sha256:' + 'abcdef012345'.padEnd(64, '3'),
    ImageID: 'sha256:' + 'abcdef012345'.padEnd(64, '3'),
    Created: s - 5,
    Ports: null,
    Status: 'Up 5 seconds (healthy)',
    Mounts: null,
  }),
];

function ps(format: string | undefined, o: { quiet?: boolean; size?: boolean; trunc?: boolean } = {}): string {
  const f = containerFormat(format, o.quiet === true, o.size === true);
  return renderList(
    containers.map((c) => containerRow(c, o.trunc !== false, now)),
    { format: f, defaultTable: f, headers: CONTAINER_HEADERS },
  );
}

describe('ps output (docker/cli container formatter)', () => {
  it('prints the default table: short IDs, familiar images, quoted and ellipsized commands', () => {
    assert.equal(
      ps(undefined),
      [
        'CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                     PORTS                  NAMES',
        `a1b2c3d4e5f6   nginx:alpine   "nginx -g 'daemon of…"   2 minutes ago   Up 2 minutes               0.0.0.0:8080->80/tcp   web`,
        'ffeeddccbbaa   postgres       "docker-entrypoint.s…"   3 hours ago     Exited (0) 3 seconds ago                          db',
        '0123456789ab   abcdef012345   ""                       5 seconds ago   Up 5 seconds (healthy)                            quirky_id',
        '',
      ].join('\n'),
    );
  });

  it('-q prints short IDs; --no-trunc the full ones', () => {
    assert.equal(ps(undefined, { quiet: true }), ['a1b2c3d4e5f6', 'ffeeddccbbaa', '0123456789ab', ''].join('\n'));
    assert.equal(ps('{{.ID}} {{.Command}}', { trunc: false }).split('\n')[0], `${'a1b2c3d4e5f6'.padEnd(64, '0')} "nginx -g 'daemon off;'"`);
  });

  it('-s adds SIZE; templates reach labels, mounts and local volumes', () => {
    assert.match(ps(undefined, { size: true }).split('\n')[0] ?? '', /NAMES\s+SIZE$/);
    assert.equal(
      ps('{{.Names}}|{{.Labels}}|{{.Label "tier"}}|{{.Mounts}}|{{.LocalVolumes}}|{{.State}}'),
      ['web|com.example.team=web,tier=front|front||0|running', 'db|||pgdata01234567…|1|exited', 'quirky_id||||0|running', ''].join('\n'),
    );
  });

  it('{{json .}} marshals the zero-argument methods, keys sorted', () => {
    const parsed = JSON.parse(ps('{{json .}}').split('\n')[0] ?? '') as Record<string, string>;
    assert.deepEqual(Object.keys(parsed), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
    assert.equal(parsed.Ports, '0.0.0.0:8080->80/tcp');
    assert.equal(parsed.Size, '0B');
    assert.match(ps('{{json .}}'), /-\\u003e80/);
  });

  it('table TEMPLATE gets the headers', () => {
    assert.equal(ps('table {{.Names}}\t{{.Status}}'), ['NAMES       STATUS', 'web         Up 2 minutes', 'db          Exited (0) 3 seconds ago', 'quirky_id   Up 5 seconds (healthy)', ''].join('\n'));
  });
});

describe('DisplayablePorts', () => {
  const cases: [PortSummary[], string][] = [
    [[{ PrivatePort: 9988, Type: 'tcp' }], '9988/tcp'],
    [[{ PrivatePort: 9988, Type: 'udp' }], '9988/udp'],
    [[{ IP: '0.0.0.0', PrivatePort: 9988, Type: 'tcp' }], '0.0.0.0:0->9988/tcp'],
    [[{ PrivatePort: 9988, PublicPort: 8899, Type: 'tcp' }], '9988/tcp'],
    [[{ IP: '4.3.2.1', PrivatePort: 9988, PublicPort: 8899, Type: 'tcp' }], '4.3.2.1:8899->9988/tcp'],
    [[{ IP: '4.3.2.1', PrivatePort: 9988, PublicPort: 9988, Type: 'tcp' }], '4.3.2.1:9988->9988/tcp'],
    [[{ IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }], '[::]:8080->80/tcp'],
    [
      [
        { PrivatePort: 9988, Type: 'udp' },
        { PrivatePort: 9988, Type: 'udp' },
      ],
      '9988/udp, 9988/udp',
    ],
    [
      [
        { IP: '1.2.3.4', PublicPort: 9998, PrivatePort: 9998, Type: 'udp' },
        { IP: '1.2.3.4', PublicPort: 9999, PrivatePort: 9999, Type: 'udp' },
      ],
      '1.2.3.4:9998-9999->9998-9999/udp',
    ],
    [
      [
        { IP: '1.2.3.4', PublicPort: 8887, PrivatePort: 9998, Type: 'udp' },
        { IP: '1.2.3.4', PublicPort: 8888, PrivatePort: 9999, Type: 'udp' },
      ],
      '1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp',
    ],
    [
      [
        { PrivatePort: 9998, Type: 'udp' },
        { PrivatePort: 9999, Type: 'udp' },
      ],
      '9998-9999/udp',
    ],
    [
      [
        { IP: '1.2.3.4', PrivatePort: 6677, PublicPort: 7766, Type: 'tcp' },
        { PrivatePort: 9988, PublicPort: 8899, Type: 'udp' },
      ],
      '9988/udp, 1.2.3.4:7766->6677/tcp',
    ],
    [
      [
        { IP: '1.2.3.4', PrivatePort: 9988, PublicPort: 8899, Type: 'udp' },
        { IP: '1.2.3.4', PrivatePort: 9988, PublicPort: 8899, Type: 'tcp' },
        { IP: '4.3.2.1', PrivatePort: 2233, PublicPort: 3322, Type: 'tcp' },
      ],
      '4.3.2.1:3322->2233/tcp, 1.2.3.4:8899->9988/tcp, 1.2.3.4:8899->9988/udp',
    ],
    [
      [
        { PrivatePort: 80, Type: 'tcp' },
        { PrivatePort: 81, Type: 'tcp' },
        { PrivatePort: 83, Type: 'tcp' },
        { PrivatePort: 84, Type: 'tcp' },
      ],
      '80-81/tcp, 83-84/tcp',
    ],
  ];
  for (const [ports, text] of cases) it(text, () => assert.equal(displayablePorts(ports), text));
});
