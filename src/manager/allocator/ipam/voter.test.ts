import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Vote } from '../task-ballot.js';
import { aTask, ingress as ingressPort } from '../fixtures.testkit.js';
import { aNetwork, aNetworkedService } from './fixtures.testkit.js';
import { Ipam, holderOf } from './ipam.js';
import { syncNetwork } from './sync.js';
import { networksVoter } from './voter.js';

function ipamWith(...nets: ReturnType<typeof aNetwork>[]): Ipam {
  const ipam = new Ipam();
  for (const n of nets) syncNetwork(ipam, n);
  return ipam;
}
const back = aNetwork('nb', 'back', '10.0.2.0/24', { nodeAddrs: { node1: '10.0.2.2/24' } });
const front = aNetwork('nf', 'front', '10.0.1.0/24');
const ing = aNetwork('in', 'ingress', '10.0.0.0/24', { ingress: true });
const addrs = (v: Vote): [string, string | undefined][] => {
  assert.equal(v.kind, 'yes');
  return (v.kind === 'yes' ? (v.patch?.NetworksAttachments ?? []) : []).map((a) => [a.Network.Id, a.Addresses[0]]);
};

describe('networksVoter', () => {
  it('gives a task an address on each network in the service’s order, then on ingress when it publishes ports', () => {
    const ipam = ipamWith(back, front, ing);
    const voter = networksVoter(ipam);
    const svc = aNetworkedService('s', 'web', ['nf', 'nb'], { ports: [ingressPort(80)] });
    const v = voter.vote(aTask('t1', 's'), svc);
    assert.deepEqual(addrs(v), [['nf', '10.0.1.2/24'], ['nb', '10.0.2.3/24'], ['in', '10.0.0.2/24']]);
    assert.ok(v.kind === 'yes');
    const carried = v.patch?.NetworksAttachments?.[1]?.Network;
    assert.equal(carried?.Name, 'back');
    assert.equal(carried?.NodeAddrs, undefined, 'the internal node addresses stay out of the task');
    assert.deepEqual(addrs(voter.vote(aTask('t1', 's'), svc)), addrs(v), 'voting again gives the same addresses');
    assert.deepEqual(addrs(voter.vote(aTask('t2', 's'), svc)), [['nf', '10.0.1.3/24'], ['nb', '10.0.2.4/24'], ['in', '10.0.0.3/24']]);
  });

  it('uses Spec.Networks when the template names none, skips ingress when there is none, and says yes with nothing for a service without networks', () => {
    const ipam = ipamWith(front);
    const voter = networksVoter(ipam);
    const old = aNetworkedService('s', 'web', [], { ports: [ingressPort(80)] });
    old.Spec.Networks = [{ Target: 'nf' }];
    assert.deepEqual(addrs(voter.vote(aTask('t', 's'), old)), [['nf', '10.0.1.2/24']]);
    assert.deepEqual(voter.vote(aTask('u', 'p'), aNetworkedService('p', 'plain', [])), { kind: 'yes' });
  });

  it('keeps the task NEW with a reason when a network is missing or full, giving back what it took', () => {
    const tiny = aNetwork('nt', 'web_net', '10.0.3.0/30');
    const ipam = ipamWith(front, tiny);
    const voter = networksVoter(ipam);
    assert.deepEqual(voter.vote(aTask('t', 's'), aNetworkedService('s', 'web', ['nf', '1xyz'])), { kind: 'refuse', reason: 'network 1xyz not found' });
    const svc = aNetworkedService('s', 'web', ['nf', 'nt']);
    assert.deepEqual(addrs(voter.vote(aTask('t1', 's'), svc)), [['nf', '10.0.1.2/24'], ['nt', '10.0.3.2/30']]);
    assert.deepEqual(voter.vote(aTask('t2', 's'), svc), { kind: 'refuse', reason: 'could not allocate IP from IPAM: no available addresses on network web_net' });
    assert.deepEqual([...ipam.holdings(holderOf.task('t2'))], [], 'its address on front is free again');
    assert.equal(ipam.addressOf('nf', holderOf.task('t1')), '10.0.1.2/24');
  });

  it('gives back the address on a network the task no longer goes on', () => {
    const ipam = ipamWith(front, back);
    const voter = networksVoter(ipam);
    voter.vote(aTask('t', 's'), aNetworkedService('s', 'web', ['nf', 'nb']));
    assert.deepEqual(addrs(voter.vote(aTask('t', 's'), aNetworkedService('s', 'web', ['nb']))), [['nb', '10.0.2.3/24']]);
    assert.equal(ipam.addressOf('nf', holderOf.task('t')), undefined);
  });
});
