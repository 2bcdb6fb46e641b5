import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatUpstream, parseResolvConf, parseUpstream } from './upstreams.js';

describe('dns upstreams', () => {
  it('parses ip[:port] and [v6]:port, defaulting to 53', () => {
    assert.deepEqual(parseUpstream('1.1.1.1'), { host: '1.1.1.1', port: 53, family: 4 });
    assert.deepEqual(parseUpstream('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353, family: 4 });
    assert.deepEqual(parseUpstream('::1'), { host: '::1', port: 53, family: 6 });
    assert.deepEqual(parseUpstream('[fd00::1]:5300'), { host: 'fd00::1', port: 5300, family: 6 });
    assert.equal(formatUpstream(parseUpstream('[::1]')), '[::1]:53');
  });

  it('refuses malformed upstreams, naming the field', () => {
    for (const bad of ['', 'dns.google', '1.2.3', '1.2.3.4:0', '1.2.3.4:65536', '1.2.3.4:x', '1.2.3.4:53:1', '[nope]:53']) {
      assert.throws(() => parseUpstream(bad, 'upstreams[2]'), /^ShoalError: upstreams\[2\]: invalid/, JSON.stringify(bad));
    }
  });

  it('reads the nameserver lines of resolv.conf in order, skipping what it cannot use', () => {
    const text = [
      '# generated',
      'search example.com',
      'nameserver 10.255.255.53',
      '  nameserver 127.0.0.53  # stub',
      'nameserver fe80::1%eth0',
      'nameserver 2001:db8::53',
      'nameserver bogus',
      'options ndots:2',
    ].join('\n');
    assert.deepEqual(parseResolvConf(text).map(formatUpstream), ['10.255.255.53:53', '127.0.0.53:53', '[fe80::1%eth0]:53', '[2001:db8::53]:53']);
    assert.deepEqual(parseResolvConf(''), []);
  });
});
