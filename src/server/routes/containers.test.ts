/** The container logs route over a real server on a temp socket, against a fake containers backend. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogger } from '../../lib/logger.js';
import { decodeFrames } from '../frames.js';
import { Router } from '../router.js';
import { startApiServer } from '../server.js';
import type { ApiServer } from '../server.js';
import type { EngineBackend, LogLine } from './backend.js';
import { containerRoutes } from './containers.js';

function get(socketPath: string, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /containers/{id}/logs', () => {
  let dir: string;
  let server: ApiServer;
  let sock: string;
  const lines: LogLine[] = [
    { time: '2026-11-27T10:38:30.15108945Z', stream: 'stdout', text: 'trailing zero trimmed' },
    { time: '2026-11-27T10:38:31Z', stream: 'stderr', text: 'whole second' },
  ];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-ctr-routes-'));
    sock = join(dir, 'api.sock');
    const containers = {
      logs: () => ({
        tty: false,
        lines: (async function* () {
          for (const l of lines) yield l;
        })(),
      }),
    };
    const router = new Router();
    containerRoutes(router, { containers } as unknown as EngineBackend);
    server = await startApiServer({ router, logger: captureLogger(), engineVersion: '0.1.0', swarmHeader: () => 'inactive', listen: [`unix://${sock}`] });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints timestamps with docker fixed nine-digit nanoseconds, whatever precision the log file kept', async () => {
    const { frames } = decodeFrames(await get(sock, '/v1.47/containers/c1/logs?stdout=1&stderr=1&timestamps=1'));
    assert.deepEqual(
      frames.map((f) => [f.stream, f.data.toString('utf8')]),
      [
        [1, '2026-11-27T10:38:30.151089450Z trailing zero trimmed\n'],
        [2, '2026-11-27T10:38:31.000000000Z whole second\n'],
      ],
    );
  });
});
