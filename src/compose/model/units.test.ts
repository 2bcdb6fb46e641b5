import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeProjectName, parseComposeDuration, parseShortPort, parseShortVolume, parseSize, shellSplit } from './units.js';
import type { Parsed } from './units.js';

function value<T>(r: Parsed<T>): T {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.value;
}
function reason<T>(r: Parsed<T>): string {
  assert.ok(!r.ok, 'expected a failure');
  return r.reason;
}

describe('compose units', () => {
  it('reads sizes in docker binary units', () => {
    assert.equal(value(parseSize('50M')), 50 * 1024 * 1024);
    assert.equal(value(parseSize('1g')), 1024 ** 3);
    assert.equal(value(parseSize('512k')), 512 * 1024);
    assert.equal(value(parseSize('1.5gb')), 1.5 * 1024 ** 3);
    assert.equal(value(parseSize('100')), 100);
    assert.equal(value(parseSize(2048)), 2048);
    assert.match(reason(parseSize('50 megabytes')), /invalid size "50 megabytes"/);
    assert.match(reason(parseSize('-1m')), /invalid size/);
  });
  it('reads Go durations into nanoseconds', () => {
    assert.equal(value(parseComposeDuration('1m30s')), 90e9);
    assert.equal(value(parseComposeDuration('10s')), 10e9);
    assert.equal(value(parseComposeDuration('500ms')), 500e6);
    assert.equal(value(parseComposeDuration('1h')), 3600e9);
    assert.equal(value(parseComposeDuration(0)), 0);
    assert.match(reason(parseComposeDuration(30)), /a unit is required/);
    assert.match(reason(parseComposeDuration('10 seconds')), /invalid duration/);
    assert.match(reason(parseComposeDuration('-5s')), /invalid duration/);
  });
  it('reads the short port syntax', () => {
    assert.deepEqual(value(parseShortPort('8080:80')), [{ target: 80, published: 8080, protocol: 'tcp' }]);
    assert.deepEqual(value(parseShortPort('8080:80/udp')), [{ target: 80, published: 8080, protocol: 'udp' }]);
    assert.deepEqual(value(parseShortPort('127.0.0.1:8080:80')), [{ target: 80, published: 8080, protocol: 'tcp', host_ip: '127.0.0.1' }]);
    assert.deepEqual(value(parseShortPort('80')), [{ target: 80, protocol: 'tcp' }]);
    assert.deepEqual(value(parseShortPort(80)), [{ target: 80, protocol: 'tcp' }]);
    assert.deepEqual(value(parseShortPort('127.0.0.1::80')), [{ target: 80, protocol: 'tcp', host_ip: '127.0.0.1' }]);
    assert.deepEqual(value(parseShortPort('[::1]:53:53/udp')), [{ target: 53, published: 53, protocol: 'udp', host_ip: '::1' }]);
    assert.deepEqual(value(parseShortPort('9000-9001:8000-8001')), [
      { target: 8000, published: 9000, protocol: 'tcp' },
      { target: 8001, published: 9001, protocol: 'tcp' },
    ]);
  });
  it('refuses bad ports with the reason', () => {
    assert.equal(reason(parseShortPort('80:80:80')), 'invalid port "80:80:80": "80" is not an IP address');
    assert.match(reason(parseShortPort('8000-8010:80')), /range mapped to one container port/);
    assert.match(reason(parseShortPort('8000-8001:80-82')), /differ in size/);
    assert.match(reason(parseShortPort('80:80/sctp')), /unsupported protocol "sctp"/);
    assert.match(reason(parseShortPort('0:80')), /"0" is not a port/);
    assert.match(reason(parseShortPort('80:70000')), /"70000" is not a port/);
    assert.match(reason(parseShortPort('a:b:c:d')), /invalid port/);
    assert.match(reason(parseShortPort('8080:')), /no container port/);
  });
  it('reads the short volume syntax', () => {
    assert.deepEqual(value(parseShortVolume('./data:/data:ro')), { source: './data', target: '/data', modes: ['ro'] });
    assert.deepEqual(value(parseShortVolume('db:/var/lib/db')), { source: 'db', target: '/var/lib/db', modes: [] });
    assert.deepEqual(value(parseShortVolume('/anon')), { target: '/anon', modes: [] });
    assert.deepEqual(value(parseShortVolume('/anon:ro')), { target: '/anon', modes: ['ro'] });
    assert.deepEqual(value(parseShortVolume('v:/x:nocopy,ro')), { source: 'v', target: '/x', modes: ['nocopy', 'ro'] });
    assert.match(reason(parseShortVolume('v:/x:rx')), /unknown mode "rx"/);
    assert.match(reason(parseShortVolume('v:x')), /must be absolute/);
    assert.match(reason(parseShortVolume('a:/b:ro:x')), /too many/);
  });
  it('splits command lines like a shell', () => {
    assert.deepEqual(value(shellSplit('redis-server --appendonly yes')), ['redis-server', '--appendonly', 'yes']);
    assert.deepEqual(value(shellSplit(`sh -c "echo \\"hi\\" \\$HOME; exit 0"`)), ['sh', '-c', 'echo "hi" $HOME; exit 0']);
    assert.deepEqual(value(shellSplit(`echo 'a  b' c\\ d ""`)), ['echo', 'a  b', 'c d', '']);
    assert.deepEqual(value(shellSplit('  ')), []);
    assert.match(reason(shellSplit('sh -c "oops')), /unterminated double quote/);
    assert.match(reason(shellSplit("it's")), /unterminated single quote/);
  });
  it('normalizes project names like compose', () => {
    assert.equal(normalizeProjectName('My App'), 'myapp');
    assert.equal(normalizeProjectName('_-Getting.Started'), 'gettingstarted');
    assert.equal(normalizeProjectName('web_1-a'), 'web_1-a');
    assert.equal(normalizeProjectName('!!!'), '');
  });
});
