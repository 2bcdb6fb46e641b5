import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIp } from '../../../lib/cidr.js';
import { AddressBook } from './address-book.js';

const book = (subnet: string, gateway?: string, extra: { IPRange?: string; AuxiliaryAddresses?: Record<string, string> } = {}): AddressBook => {
  const b = AddressBook.fromConfig({ Subnet: subnet, ...(gateway === undefined ? {} : { Gateway: gateway }), ...extra });
  assert.ok(b !== undefined);
  return b;
};
const ip = (s: string): number => parseIp(s) ?? -1;
const take = (b: AddressBook, holder: string): string | undefined => {
  const a = b.allocate(holder);
  return a === undefined ? undefined : b.format(a);
};

describe('AddressBook', () => {
  it('hands out the lowest free address, never the network, the gateway or the broadcast, until the pool is empty', () => {
    const b = book('10.0.9.0/28', '10.0.9.1');
    assert.equal(b.capacity, 13);
    const got = Array.from({ length: 13 }, (_, i) => take(b, `h${i}`));
    assert.deepEqual(got, Array.from({ length: 13 }, (_, i) => `10.0.9.${i + 2}/28`));
    assert.equal(b.allocate('one-too-many'), undefined);
    assert.equal(b.used, 13);
  });

  it('reuses a released address first, and gives a holder the address it already has', () => {
    const b = book('10.0.9.0/28');
    for (let i = 0; i < 5; i++) take(b, `h${i}`);
    assert.equal(take(b, 'h3'), '10.0.9.5/28', 'the same holder gets its own address back');
    assert.equal(b.release('h1'), true);
    assert.equal(b.release('h1'), false);
    assert.equal(take(b, 'new'), '10.0.9.3/28');
    assert.equal(take(b, 'next'), '10.0.9.7/28');
  });

  it('defaults the gateway to the first address and honours another gateway, an IP range and auxiliary addresses', () => {
    assert.equal(book('10.1.0.0/24').gateway, ip('10.1.0.1'));
    const g = book('10.1.0.0/24', '10.1.0.2');
    assert.equal(take(g, 'a'), '10.1.0.1/24');
    assert.equal(take(g, 'b'), '10.1.0.3/24');
    const r = book('10.1.0.0/24', '10.1.0.1', { IPRange: '10.1.0.128/30', AuxiliaryAddresses: { host: '10.1.0.129' } });
    assert.deepEqual([take(r, 'a'), take(r, 'b'), take(r, 'c'), take(r, 'd')], ['10.1.0.128/24', '10.1.0.130/24', '10.1.0.131/24', undefined]);
  });

  it('claims stored addresses only inside the pool and only once', () => {
    const b = book('10.0.9.0/28', '10.0.9.1');
    for (const bad of ['10.0.9.0', '10.0.9.1', '10.0.9.15', '10.0.10.2']) assert.equal(b.claim('x', ip(bad)), false, bad);
    assert.equal(b.claim('x', ip('10.0.9.4')), true);
    assert.equal(b.claim('y', ip('10.0.9.4')), false, 'held by x');
    assert.equal(b.claim('x', ip('10.0.9.6')), true, 'x moves');
    assert.equal(b.holderOf(ip('10.0.9.4')), undefined);
    assert.equal(take(b, 'z'), '10.0.9.2/28');
    assert.equal(take(b, 'w'), '10.0.9.3/28');
    assert.equal(take(b, 'v'), '10.0.9.4/28', 'what x left is free');
  });

  it('has no pool without an IPv4 subnet', () => {
    assert.equal(AddressBook.fromConfig({}), undefined);
    assert.equal(AddressBook.fromConfig({ Subnet: 'fd00::/64' }), undefined);
    assert.equal(AddressBook.fromConfig(undefined), undefined);
  });
});
