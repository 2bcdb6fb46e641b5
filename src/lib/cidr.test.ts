import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contains, firstFreeSubnet, formatCidr, formatIp, lastOf, macForIp, overlaps, parseAddrCidr, parseCidr, parseIp, within } from './cidr.js';

const c = (s: string) => {
  const r = parseCidr(s);
  assert.ok(r, s);
  return r;
};

describe('cidr', () => {
  it('parses and formats addresses and blocks, refusing malformed ones', () => {
    assert.equal(parseIp('10.0.1.5'), 0x0a000105);
    assert.equal(formatIp(0xffffffff), '255.255.255.255');
    for (const bad of ['10.0.1', '10.0.1.256', '01.0.0.1', 'a.b.c.d', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x']) assert.equal(bad.includes('/') ? parseCidr(bad) : parseIp(bad), undefined, bad);
    assert.equal(formatCidr(c('10.0.1.5/24')), '10.0.1.0/24');
    assert.equal(parseCidr('10.0.1.5/24', { strict: true }), undefined);
    assert.deepEqual(parseAddrCidr('10.0.1.5/24'), { ip: 0x0a000105, cidr: { base: 0x0a000100, len: 24 } });
    assert.equal(formatIp(lastOf(c('10.0.0.0/8'))), '10.255.255.255');
    assert.equal(formatCidr(c('0.0.0.0/0')), '0.0.0.0/0');
  });

  it('contains, within and overlaps', () => {
    assert.ok(contains(c('10.0.1.0/24'), parseIp('10.0.1.255') ?? 0));
    assert.ok(!contains(c('10.0.1.0/24'), parseIp('10.0.2.0') ?? 0));
    assert.ok(within(c('10.0.1.0/24'), c('10.0.0.0/8')));
    assert.ok(!within(c('10.0.0.0/8'), c('10.0.1.0/24')));
    assert.ok(overlaps(c('10.0.0.0/8'), c('10.0.1.0/24')));
    assert.ok(!overlaps(c('10.0.1.0/24'), c('10.0.2.0/24')));
  });

  it('firstFreeSubnet takes the lowest free aligned block and skips any it would overlap', () => {
    const pool = c('10.0.0.0/8');
    assert.equal(formatCidr(firstFreeSubnet(pool, 24, []) ?? c('0.0.0.0/0')), '10.0.0.0/24');
    assert.equal(formatCidr(firstFreeSubnet(pool, 24, [c('10.0.0.0/24'), c('10.0.1.0/24')]) ?? c('0.0.0.0/0')), '10.0.2.0/24');
    assert.equal(formatCidr(firstFreeSubnet(pool, 24, [c('10.0.0.0/16')]) ?? c('0.0.0.0/0')), '10.1.0.0/24');
    assert.equal(formatCidr(firstFreeSubnet(pool, 24, [c('10.0.0.0/24'), c('10.0.2.0/23')]) ?? c('0.0.0.0/0')), '10.0.1.0/24');
    assert.equal(formatCidr(firstFreeSubnet(pool, 16, [c('10.0.5.0/24')]) ?? c('0.0.0.0/0')), '10.1.0.0/16');
    assert.equal(firstFreeSubnet(c('10.0.0.0/23'), 24, [c('10.0.0.0/24'), c('10.0.1.0/24')]), undefined);
    assert.equal(firstFreeSubnet(c('10.0.0.0/24'), 16, []), undefined);
  });

  it('firstFreeSubnet never returns a block overlapping a taken one (exhaustive over small pools)', () => {
    const pool = c('10.0.0.0/26');
    for (let mask = 0; mask < 256; mask++) {
      const taken = [] as ReturnType<typeof c>[];
      for (let i = 0; i < 8; i++) if (mask & (1 << i)) taken.push({ base: pool.base + i * 8, len: 29 });
      const got = firstFreeSubnet(pool, 29, taken);
      const free = [...Array(8).keys()].filter((i) => !(mask & (1 << i)));
      if (free.length === 0) assert.equal(got, undefined);
      else assert.deepEqual(got, { base: pool.base + (free[0] ?? 0) * 8, len: 29 });
    }
  });

  it('macForIp is docker style', () => {
    assert.equal(macForIp(parseIp('10.0.1.5') ?? 0), '02:42:0a:00:01:05');
  });
});
