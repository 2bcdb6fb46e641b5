/** `shoal daemon` flags: `--registry-lookup` (which registries the distribution endpoint may ask). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseDaemonArgs } from './daemon.js';

describe('shoal daemon --registry-lookup', () => {
  it('asks every registry by default, as dockerd does; loopback and none narrow it', () => {
    assert.equal(parseDaemonArgs([]).registryLookup, 'all');
    assert.equal(parseDaemonArgs(['--registry-lookup', 'loopback']).registryLookup, 'loopback');
    assert.equal(parseDaemonArgs(['--registry-lookup', 'none', '--registry-lookup', 'all']).registryLookup, 'all', 'the last one wins');
  });

  it('refuses anything else, naming the flag and the choices', () => {
    const script = `import('${new URL('./daemon.ts', import.meta.url).pathname}').then((m) => m.parseDaemonArgs(['--registry-lookup', 'some']))`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /option '--registry-lookup <scope>' argument 'some' is invalid\. must be one of all, loopback, none/);
  });
});
