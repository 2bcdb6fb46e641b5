/**
 * The real docker CLI (28.2.2, client only) against the façade with a tiny test router: proves the ping,
 * negotiation and error contract the CLI depends on (docs/docker-engine-api.md §1, §11).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { notFound } from '../api/errors.js';
import { captureLogger } from '../lib/logger.js';
import { Router } from './router.js';
import { startApiServer } from './server.js';
import type { ApiServer } from './server.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs docker asynchronously (the server shares this event loop, so spawnSync would deadlock). */
function docker(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('docker', args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function hasDocker(): Promise<boolean> {
  return new Promise((resolve) => execFile('docker', ['--version'], (err) => resolve(err === null)));
}

describe('docker CLI against the API server', async () => {
  const available = await hasDocker();
  let dir: string;
  let server: ApiServer;
  let env: Record<string, string>;
  const seen: string[] = [];

  before(async () => {
    assert.ok(available, 'the docker CLI is required for these tests (scripts/setup.sh installs what the project needs)');
    dir = await mkdtemp(join(tmpdir(), 'shoal-docker-cli-'));
    const sock = join(dir, 'docker.sock');
    const router = new Router()
      .get('/version', (req, res) => {
        seen.push(`GET v${req.apiVersion} /version`);
        const details = { ApiVersion: '1.47', MinAPIVersion: '1.24', GitCommit: 'test', GoVersion: 'n/a', Os: 'linux', Arch: 'amd64', BuildTime: '', Experimental: 'false', KernelVersion: '' };
        res.json(200, {
          Platform: { Name: 'Shoal' },
          Components: [{ Name: 'Engine', Version: '0.1.0', Details: details }],
          Version: '0.1.0',
          ApiVersion: '1.47',
          MinAPIVersion: '1.24',
          GitCommit: 'test',
          GoVersion: 'n/a',
          Os: 'linux',
          Arch: 'amd64',
        });
      })
      .get('/nodes/{id}', (req) => {
        throw notFound('node.not_found', `node ${req.param('id')} not found`);
      });
    server = await startApiServer({
      router,
      logger: captureLogger(),
      engineVersion: '0.1.0',
      swarmHeader: () => 'active/manager',
      listen: [`unix://${sock}`],
    });
    // A clean environment: no user config, context, pinned version or TLS settings leak in.
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, 'config') };
  });

  after(async () => {
    await server?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('negotiates 1.47 and reads /version', async () => {
    const r = await docker(['version', '--format', '{{.Server.APIVersion}}'], env);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), '1.47');
    assert.deepEqual(seen, ['GET v1.47 /version']);
  });

  it('prints the daemon’s error message (exact application/json Content-Type)', async () => {
    const r = await docker(['node', 'inspect', 'nope'], env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error response from daemon: node nope not found\n', 'the CLI parsed the JSON error body');
  });
});
