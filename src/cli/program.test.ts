import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from './program.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli({
    argv,
    out: { write: (s) => (out += String(s)) },
    err: { write: (s) => (err += String(s)) },
    // A socket nobody serves: parse errors must be reported before any connection is attempted.
    env: { SHOAL_HOST: 'unix:///nonexistent/shoal-test.sock' },
    version: '0.0.0-test',
  });
  return { code, out, err };
}

describe('shoal CLI parsing', () => {
  it('reports bad flag values clearly, without contacting the daemon', async () => {
    const r = await cli('swarm', 'init', '--dispatcher-heartbeat', 'soon');
    assert.equal(r.code, 125);
    assert.match(r.err, /invalid duration "soon"/);
    const role = await cli('node', 'update', '--availability', 'sleepy', 'self');
    assert.equal(role.code, 125);
    assert.match(role.err, /must be one of: active, pause, drain/);
    const tok = await cli('swarm', 'join-token', 'boss');
    assert.equal(tok.code, 125);
    assert.match(tok.err, /unknown role boss/);
    const unknown = await cli('node', 'frobnicate');
    assert.equal(unknown.code, 125);
  });

  it('says plainly when the daemon is not there', async () => {
    const r = await cli('node', 'ls');
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Cannot connect to the Shoal daemon at unix:///nonexistent/shoal-test.sock. Is the daemon running?\n');
  });

  it('prints its version and help without a daemon', async () => {
    const v = await cli('--version');
    assert.equal(v.code, 0);
    assert.equal(v.out, '0.0.0-test\n');
    const h = await cli('node', '--help');
    assert.equal(h.code, 0);
    assert.match(h.out, /Manage Swarm nodes/);
  });
});
