import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { loadProject } from './load.js';
import type { ComposeError, LoadInput } from './types.js';

function input(files: Record<string, string>, extra: Partial<LoadInput> = {}, others: Record<string, string> = {}): LoadInput {
  return {
    files: Object.entries(files).map(([path, content]) => ({ path, content })),
    workingDir: '/srv/My Project',
    env: {},
    readFile: (p) => others[p],
    ...extra,
  };
}

function failure(i: LoadInput): { message: string; cause: ComposeError } {
  try {
    loadProject(i);
  } catch (e) {
    assert.ok(isShoalError(e, 'InvalidArgument'));
    assert.equal(e.code, 'compose.invalid');
    return { message: e.message, cause: e.cause as ComposeError };
  }
  assert.fail('loaded without error');
}

describe('loadProject', () => {
  it('names the project from -p, then `name:`, then the directory (compose normalization)', () => {
    const yml = 'services:\n  web:\n    image: nginx\n';
    assert.equal(loadProject(input({ 'docker-compose.yml': yml })).name, 'myproject');
    assert.equal(loadProject(input({ 'docker-compose.yml': `name: Named\n${yml}` })).name, 'named');
    assert.equal(loadProject(input({ 'docker-compose.yml': `name: Named\n${yml}` }, { projectName: 'Stack_1' })).name, 'stack_1');
    assert.throws(() => loadProject(input({ 'docker-compose.yml': yml }, { projectName: '!!' })), /invalid project name "!!"/);
  });

  it('names networks, volumes, secrets and configs <project>_<key> unless `name:` or external', () => {
    const p = loadProject(
      input(
        {
          'docker-compose.yml': [
            'services:',
            '  web:',
            '    image: nginx',
            '    networks: [a, b, c]',
            'networks:',
            '  a: {}',
            '  b: { name: custom }',
            '  c: { external: true }',
            'volumes:',
            '  v: {}',
            '  w: { external: true, name: real }',
            'secrets:',
            '  s: { file: ./s.txt }',
            'configs:',
            '  c: { external: true }',
          ].join('\n'),
        },
        { projectName: 'st' },
        { '/srv/My Project/s.txt': 'x' },
      ),
    );
    assert.deepEqual(Object.fromEntries(Object.entries(p.networks).map(([k, n]) => [k, [n.name, n.external]])), {
      a: ['st_a', false],
      b: ['custom', false],
      c: ['c', true],
    });
    assert.equal(p.volumes.v?.name, 'st_v');
    assert.deepEqual([p.volumes.w?.name, p.volumes.w?.external], ['real', true]);
    assert.deepEqual(p.secrets.s, { name: 'st_s', external: false, labels: {}, file: '/srv/My Project/s.txt' });
    assert.equal(p.configs.c?.name, 'c');
    // Every service names a network: no `default` network.
    assert.equal(p.networks.default, undefined);
  });

  it('sorts services and adds the default network only to services without one', () => {
    const p = loadProject(input({ 'docker-compose.yml': 'services:\n  zeta:\n    image: z\n  alpha:\n    image: a\n    networks: [n]\nnetworks:\n  n:\n' }));
    assert.deepEqual(Object.keys(p.services), ['alpha', 'zeta']);
    assert.deepEqual(p.services.zeta?.networks, { default: { aliases: [] } });
    assert.deepEqual(p.services.alpha?.networks, { n: { aliases: [] } });
    assert.equal(p.networks.default?.name, 'myproject_default');
  });

  it('throws a located ShoalError whose cause is the ComposeError', () => {
    const f = failure(input({ 'docker-compose.yml': 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80:80"\n' }));
    assert.equal(f.message, 'docker-compose.yml:5:9: services.web.ports[0]: invalid port "80:80:80": "80" is not an IP address');
    assert.deepEqual(f.cause, {
      file: 'docker-compose.yml',
      line: 5,
      col: 9,
      field: 'services.web.ports[0]',
      message: 'invalid port "80:80:80": "80" is not an IP address',
    });
  });

  it('shows absolute -f paths relative to the project directory', () => {
    const f = failure(input({ '/srv/My Project/stack.yml': 'services:\n  web:\n    imag: nginx\n' }));
    assert.equal(f.message, 'stack.yml:3:5: services.web.imag: unknown key "imag" (did you mean "image"?)');
  });

  it('locates an error in an override file in that file', () => {
    const f = failure(
      input({
        'docker-compose.yml': 'services:\n  web:\n    image: nginx\n',
        'docker-compose.prod.yml': 'services:\n  web:\n    deploy:\n      replicas: many\n',
      }),
    );
    assert.equal(f.message, 'docker-compose.prod.yml:4:17: services.web.deploy.replicas: must be an integer, got "many"');
  });

  it('interpolates with the process environment over .env, and warns once per unset variable', () => {
    const p = loadProject(
      input(
        { 'docker-compose.yml': 'services:\n  web:\n    image: "app:${TAG}"\n    labels:\n      a: $MISSING\n      b: ${MISSING}\n    deploy:\n      replicas: ${N}\n' },
        { env: { TAG: 'shell' } },
        { '/srv/My Project/.env': 'TAG=dotenv\nN=4\n' },
      ),
    );
    assert.equal(p.services.web?.image, 'app:shell');
    assert.equal(p.services.web?.deploy?.replicas, 4);
    assert.deepEqual(p.services.web?.labels, { a: '', b: '' });
    assert.deepEqual(p.warnings, ['The "MISSING" variable is not set. Defaulting to a blank string.']);
  });

  it('keeps a service with build: and warns naming it', () => {
    const p = loadProject(input({ 'docker-compose.yml': 'services:\n  web:\n    build: ./web\n    image: me/web\n' }));
    assert.deepEqual(p.services.web?.build, './web');
    assert.deepEqual(p.warnings, ['Ignoring unsupported options: build (service "web")']);
  });

  it('merges files: scalars override, maps merge, !override replaces', () => {
    const p = loadProject(
      input({
        'a.yml': 'services:\n  web:\n    image: a\n    environment: [X=1, Y=2]\n    dns: [1.1.1.1]\n    ports: ["80:80"]\n',
        'b.yml': 'services:\n  web:\n    image: b\n    environment: { Y: "3" }\n    dns: [8.8.8.8, 1.1.1.1]\n    ports: !override ["81:80"]\n',
      }),
    );
    const web = p.services.web;
    assert.equal(web?.image, 'b');
    assert.deepEqual(web?.environment, { X: '1', Y: '3' });
    assert.deepEqual(web?.dns, ['8.8.8.8', '1.1.1.1']);
    assert.deepEqual(web?.ports, [{ target: 80, published: 81, protocol: 'tcp', mode: 'ingress' }]);
  });

  it('resolves environment keys without a value from the process environment, else null', () => {
    const p = loadProject(input({ 'docker-compose.yml': 'services:\n  web:\n    image: x\n    environment: [A, B]\n' }, { env: { A: 'a' } }));
    assert.deepEqual(p.services.web?.environment, { A: 'a', B: null });
  });

  it('reads secret/config modes as octal and defaults uid/gid/mode', () => {
    const p = loadProject(
      input({
        'docker-compose.yml': [
          'services:',
          '  web:',
          '    image: x',
          '    secrets: [{ source: s, mode: 0400 }, { source: s, target: t, mode: "0600" }, { source: s, target: /abs, mode: 0o640 }]',
          'secrets:',
          '  s: { content: hi }',
        ].join('\n'),
      }),
    );
    assert.deepEqual(p.services.web?.secrets, [
      { source: 's', target: '/run/secrets/s', uid: '0', gid: '0', mode: 0o400 },
      { source: 's', target: '/run/secrets/t', uid: '0', gid: '0', mode: 0o600 },
      { source: 's', target: '/abs', uid: '0', gid: '0', mode: 0o640 },
    ]);
  });

  it('ignores version: and x-* extension keys anywhere', () => {
    const p = loadProject(
      input({ 'docker-compose.yml': 'version: "3.8"\nx-top: 1\nservices:\n  web:\n    image: x\n    x-note: y\n    deploy:\n      x-d: 1\nnetworks:\n  n:\n    x-n: 1\n' }),
    );
    assert.equal(p.services.web?.image, 'x');
  });

  it('refuses an empty file list and non-mapping documents', () => {
    assert.throws(() => loadProject(input({})), /no compose file given/);
    assert.equal(failure(input({ 'docker-compose.yml': '- a\n- b\n' })).message, 'docker-compose.yml:1:1: (root): a compose file must be a mapping');
  });

  it('refuses a self-referencing depends_on and an unknown alias', () => {
    assert.match(failure(input({ 'docker-compose.yml': 'services:\n  a:\n    image: x\n    depends_on: [a]\n' })).message, /depends_on\[0\]: service "a" depends on itself/);
    assert.match(failure(input({ 'docker-compose.yml': 'services:\n  a: *nope\n' })).message, /^docker-compose\.yml:2:\d+: yaml: /);
  });

  it('lets an optional dependency point at a service that is not defined', () => {
    const p = loadProject(input({ 'docker-compose.yml': 'services:\n  a:\n    image: x\n    depends_on:\n      b: { condition: service_healthy, required: false }\n' }));
    assert.deepEqual(p.services.a?.depends_on, { b: { condition: 'service_healthy', restart: true, required: false } });
  });
});
