import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PortConfig, Service } from '../../api/types.js';
import type { Random } from '../../lib/random.js';
import { seededRandom } from '../../lib/random.js';
import { allocateEndpoints, rebuildSpace } from './allocate.js';
import { aService, host, ingress } from './fixtures.testkit.js';
import { PortSpace } from './ports/index.js';

const map = (...s: Service[]): Map<string, Service> => new Map(s.map((x) => [x.ID, x]));

describe('allocateEndpoints', () => {
  it('plans the older service first, so it keeps a contested port', () => {
    const space = new PortSpace();
    const young = aService('young', 'young', [ingress(80, 8080)], '2024-01-02T00:00:00Z');
    const old = aService('old', 'old', [ingress(80, 8080)], '2024-01-01T00:00:00Z');
    const pass = allocateEndpoints(space, map(young, old));
    assert.deepEqual(pass.updates.map((u) => u.service.ID), ['old']);
    assert.deepEqual([...pass.refused], [['young', "port '8080' is already in use by service 'old' (old) as an ingress port"]]);
  });

  it('reports services already allocated, at their version', () => {
    const space = new PortSpace();
    const s = aService('a', 'a', [ingress(80)]);
    const [u] = allocateEndpoints(space, map(s)).updates;
    const stored: Service = { ...s, Version: { Index: 7 }, Endpoint: u?.endpoint ?? { Spec: {} } };
    const again = allocateEndpoints(space, map(stored));
    assert.deepEqual(again.updates, []);
    assert.deepEqual([...again.allocated], [['a', 7]]);
  });

  it('rebuilds the space from stored endpoints, the older service keeping a port stored twice', () => {
    const space = new PortSpace();
    const a: Service = { ...aService('a', 'a', [ingress(80)], '2024-01-01T00:00:00Z'), Endpoint: { Spec: {}, Ports: [{ ...ingress(80), PublishedPort: 30005 }] } };
    const b: Service = { ...aService('b', 'b', [ingress(80)], '2024-01-02T00:00:00Z'), Endpoint: { Spec: {}, Ports: [{ ...ingress(80), PublishedPort: 30005 }] } };
    rebuildSpace(space, [b, a]);
    assert.equal(space.owner({ protocol: 'tcp', port: 30005 }), 'a');
    const pass = allocateEndpoints(space, map(a, b));
    const ports = new Map(pass.updates.map((u) => [u.service.ID, u.endpoint.Ports?.[0]?.PublishedPort]));
    assert.equal(ports.get('a'), 30005, 'a keeps its port');
    assert.notEqual(ports.get('b'), 30005, 'b gets another');
  });

  it('property: across random creates, updates and removals, no published port is held by two services', () => {
    const r: Random = seededRandom(11);
    const int = (lo: number, hi: number): number => lo + Math.floor(r.float() * (hi - lo + 1));
    for (let round = 0; round < 200; round++) {
      const space = new PortSpace(30000, 30000 + int(3, 40));
      const services = new Map<string, Service>();
      for (let step = 0; step < 30; step++) {
        const id = `s${int(0, 9)}`;
        if (r.float() < 0.2) {
          services.delete(id);
          space.release(id);
        } else {
          const ports: PortConfig[] = Array.from({ length: int(0, 3) }, () => {
            const k = r.float();
            return k < 0.5 ? ingress(int(1, 5)) : k < 0.8 ? ingress(80, 8000 + int(0, 5), r.float() < 0.5 ? 'tcp' : 'udp') : host(80, 9000);
          });
          const prev = services.get(id);
          services.set(id, { ...aService(id, id, ports, `2024-01-01T00:00:${String(step).padStart(2, '0')}Z`), ...(prev?.Endpoint === undefined ? {} : { Endpoint: prev.Endpoint }) });
        }
        const pass = allocateEndpoints(space, services);
        for (const u of pass.updates) services.set(u.service.ID, { ...u.service, Endpoint: u.endpoint });
        const held = new Map<string, string>();
        for (const s of services.values()) {
          if (pass.refused.has(s.ID)) continue;
          for (const p of s.Endpoint?.Ports ?? []) {
            if (p.PublishMode !== 'ingress') continue;
            assert.ok((p.PublishedPort ?? 0) > 0, 'every ingress port is published');
            const k = `${p.Protocol}/${p.PublishedPort}`;
            assert.ok(!held.has(k), `round ${round} step ${step}: ${k} held by ${held.get(k)} and ${s.ID}`);
            held.set(k, s.ID);
          }
        }
      }
    }
  });
});
