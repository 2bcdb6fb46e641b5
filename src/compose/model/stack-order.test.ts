import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { creationWaves } from './stack-order.js';
import type { ComposeDependency, ComposeProject, ComposeService } from './types.js';

type Cond = ComposeDependency['condition'];

function svc(name: string, deps: Record<string, Cond | [Cond, boolean]> = {}): ComposeService {
  const depends_on: Record<string, ComposeDependency> = {};
  for (const [k, v] of Object.entries(deps)) {
    const [condition, required] = Array.isArray(v) ? v : [v, true];
    depends_on[k] = { condition, restart: true, required };
  }
  return {
    name,
    image: 'x',
    environment: {},
    labels: {},
    ports: [],
    networks: { default: { aliases: [] } },
    volumes: [],
    secrets: [],
    configs: [],
    depends_on,
    cap_add: [],
    cap_drop: [],
    sysctls: {},
    ulimits: {},
    tmpfs: [],
    extra_hosts: [],
    dns: [],
  };
}

function project(...services: ComposeService[]): ComposeProject {
  const byName: Record<string, ComposeService> = {};
  for (const s of services) byName[s.name] = s;
  return { name: 'p', services: byName, networks: {}, volumes: {}, secrets: {}, configs: {}, warnings: [] };
}

const H = 'service_healthy';
const C = 'service_completed_successfully';
const S = 'service_started';

describe('creationWaves', () => {
  it('puts independent services in one wave, by name, with nothing to wait for', () => {
    assert.deepEqual(creationWaves(project(svc('web'), svc('db'), svc('cache'))), [{ waits: [], services: ['cache', 'db', 'web'] }]);
    assert.deepEqual(creationWaves(project()), []);
  });

  it('service_started orders inside a wave without a wait', () => {
    // a name that sorts first still comes after what it depends on
    assert.deepEqual(creationWaves(project(svc('a', { z: S }), svc('z', { m: S }), svc('m'), svc('b'))), [{ waits: [], services: ['b', 'm', 'z', 'a'] }]);
  });

  it('a healthy chain makes one wave per link, each waiting on the one before', () => {
    const waves = creationWaves(project(svc('web', { api: H }), svc('api', { db: H }), svc('db')));
    assert.deepEqual(waves, [
      { waits: [], services: ['db'] },
      { waits: [{ dependency: 'db', condition: H, dependents: ['api'] }], services: ['api'] },
      { waits: [{ dependency: 'api', condition: H, dependents: ['web'] }], services: ['web'] },
    ]);
  });

  it('a diamond waits once per dependency and condition, naming every dependent', () => {
    const waves = creationWaves(project(svc('db'), svc('left', { db: H }), svc('right', { db: H }), svc('top', { left: H, right: S })));
    assert.deepEqual(waves, [
      { waits: [], services: ['db'] },
      { waits: [{ dependency: 'db', condition: H, dependents: ['left', 'right'] }], services: ['left', 'right'] },
      { waits: [{ dependency: 'left', condition: H, dependents: ['top'] }], services: ['top'] },
    ]);
  });

  it('mixes conditions: a job must complete, a started dependency only be created first', () => {
    const waves = creationWaves(project(svc('db'), svc('migrate', { db: H }), svc('web', { migrate: C, db: H, cache: S }), svc('cache'), svc('worker', { cache: S })));
    assert.deepEqual(waves, [
      { waits: [], services: ['cache', 'db', 'worker'] },
      { waits: [{ dependency: 'db', condition: H, dependents: ['migrate'] }], services: ['migrate'] },
      {
        waits: [
          { dependency: 'db', condition: H, dependents: ['web'] },
          { dependency: 'migrate', condition: C, dependents: ['web'] },
        ],
        services: ['web'],
      },
    ]);
  });

  it('existing services are updated in place without waits; new ones still wait, also on existing dependencies', () => {
    const p = project(svc('db'), svc('web', { db: H }), svc('admin', { db: H }));
    assert.deepEqual(creationWaves(p, new Set(['db', 'web'])), [
      { waits: [], services: ['db', 'web'] },
      { waits: [{ dependency: 'db', condition: H, dependents: ['admin'] }], services: ['admin'] },
    ]);
    assert.deepEqual(creationWaves(p, new Set(['db', 'web', 'admin'])), [{ waits: [], services: ['db', 'admin', 'web'] }]);
  });

  it('skips optional dependencies on undefined services', () => {
    assert.deepEqual(creationWaves(project(svc('web', { ghost: [H, false] }))), [{ waits: [], services: ['web'] }]);
  });

  it('refuses undefined required dependencies, self-dependencies and cycles, naming the service', () => {
    const fails = (p: ComposeProject, re: RegExp): void => {
      assert.throws(
        () => creationWaves(p),
        (e: unknown) => isShoalError(e, 'InvalidArgument') && re.test((e as Error).message),
      );
    };
    fails(project(svc('web', { ghost: H })), /service web: depends_on: service "ghost" is not defined/);
    fails(project(svc('web', { web: S })), /service web: depends_on: service "web" depends on itself/);
    fails(project(svc('a', { b: S }), svc('b', { c: H }), svc('c', { a: S })), /dependency cycle: a -> b -> c -> a/);
  });
});
