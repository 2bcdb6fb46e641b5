import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../../api/types.js';
import { aService, host, ingress } from '../fixtures.testkit.js';
import { planEndpoint, sameJson } from './endpoint.js';
import { PortSpace } from './port-space.js';

const describeId = (id: string): string => `service '${id}' (${id})`;

function allocated(space: PortSpace, s: Service): Service {
  const plan = planEndpoint(space, s, describeId);
  assert.ok(plan.ok, plan.ok ? '' : plan.reason);
  space.assign(s.ID, plan.claims);
  return { ...s, Endpoint: plan.endpoint };
}

describe('planEndpoint', () => {
  it('publishes ingress ports without a PublishedPort from the dynamic range, and fills in the defaults', () => {
    const space = new PortSpace();
    const s = aService('web', 'web', [{ TargetPort: 80 }, ingress(443, 8443), host(9000, 9000), host(9001)]);
    const plan = planEndpoint(space, s, describeId);
    assert.ok(plan.ok);
    assert.deepEqual(plan.endpoint, {
      Spec: { Mode: 'vip', Ports: [{ TargetPort: 80 }, ingress(443, 8443), host(9000, 9000), host(9001)] },
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 30000, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 9000, PublishedPort: 9000, PublishMode: 'host' },
        { Protocol: 'tcp', TargetPort: 9001, PublishMode: 'host' },
      ],
    });
    assert.deepEqual(plan.claims, [{ protocol: 'tcp', port: 8443 }, { protocol: 'tcp', port: 30000 }], 'host-mode ports are not booked');
  });

  it('shows {"Spec":{}} for a service without ports, as Docker does', () => {
    const plan = planEndpoint(new PortSpace(), aService('s', 's'), describeId);
    assert.deepEqual(plan, { ok: true, endpoint: { Spec: {} }, claims: [] });
    const vip: Service = { ...aService('s', 's', []), Endpoint: { Spec: {}, VirtualIPs: [{ NetworkID: 'n', Addr: '10.0.0.2/24' }] } };
    const withVip = planEndpoint(new PortSpace(), vip, describeId);
    assert.ok(withVip.ok);
    assert.deepEqual(withVip.endpoint.VirtualIPs, [{ NetworkID: 'n', Addr: '10.0.0.2/24' }], 'virtual IPs (issue 5) are carried over');
  });

  it('refuses a port another service holds, in swarm words', () => {
    const space = new PortSpace();
    allocated(space, aService('a', 'a', [ingress(80, 8080)]));
    const plan = planEndpoint(space, aService('b', 'b', [ingress(80, 8080)]), describeId);
    assert.deepEqual(plan, { ok: false, reason: "port '8080' is already in use by service 'a' (a) as an ingress port" });
    assert.ok(planEndpoint(space, aService('c', 'c', [ingress(80, 8080, 'udp')]), describeId).ok, 'udp/8080 is another port');
    assert.ok(!planEndpoint(space, aService('d', 'd', [ingress(80, 8081), ingress(81, 8081)]), describeId).ok, 'twice in one spec');
  });

  it('never gives a dynamic port that is held, or named by the same service', () => {
    const space = new PortSpace();
    allocated(space, aService('a', 'a', [ingress(80)]));
    const b = allocated(space, aService('b', 'b', [ingress(80), ingress(81, 30002)]));
    assert.deepEqual(b.Endpoint?.Ports?.map((p) => p.PublishedPort), [30001, 30002]);
    const c = allocated(space, aService('c', 'c', [ingress(80)]));
    assert.deepEqual(c.Endpoint?.Ports?.map((p) => p.PublishedPort), [30003]);
  });

  it('keeps dynamic ports across spec changes while the port stays, and is idempotent', () => {
    const space = new PortSpace();
    const first = allocated(space, aService('a', 'a', [ingress(80), ingress(81)]));
    assert.deepEqual(first.Endpoint?.Ports?.map((p) => p.PublishedPort), [30000, 30001]);
    const again = planEndpoint(space, first, describeId);
    assert.ok(again.ok && sameJson(again.endpoint, first.Endpoint), 'planning an allocated service changes nothing');
    const changed: Service = { ...first, Spec: { ...first.Spec, EndpointSpec: { Ports: [ingress(81), ingress(82)] } } };
    const next = allocated(space, changed);
    assert.deepEqual(next.Endpoint?.Ports?.map((p) => p.PublishedPort), [30001, 30002], 'target 81 keeps its port, 82 gets a new one');
    assert.equal(space.owner({ protocol: 'tcp', port: 30000 }), undefined, 'the dropped port is released');
  });

  it('says when the dynamic range is exhausted', () => {
    const space = new PortSpace(100, 100);
    allocated(space, aService('a', 'a', [ingress(80)]));
    assert.deepEqual(planEndpoint(space, aService('b', 'b', [ingress(80)]), describeId), { ok: false, reason: 'no free port left for tcp in 100-100' });
  });
});

describe('sameJson', () => {
  it('compares JSON values regardless of key order and undefined fields', () => {
    assert.ok(sameJson({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
    assert.ok(sameJson({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(!sameJson({ a: 1 }, { a: 2 }));
    assert.ok(!sameJson([1, 2], [2, 1]));
    assert.ok(!sameJson([], {}));
  });
});
