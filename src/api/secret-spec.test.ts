import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from './errors.js';
import { Filters } from './filters.js';
import {
  base64Length,
  checkSecretName,
  inUseError,
  matchSecretFilters,
  MAX_CONFIG_SIZE,
  MAX_SECRET_SIZE,
  parseSecretSpec,
  parseSecretUpdate,
  payloadsFor,
  publicConfig,
  publicSecret,
} from './secret-spec.js';
import type { Config, Secret, Task } from './types.js';

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
const rpc = (desc: string): string => `rpc error: code = InvalidArgument desc = ${desc}`;

describe('secret specs', () => {
  it('accepts docker-valid names and refuses the rest with swarmkit’s text', () => {
    for (const ok of ['a', 'db_password', 'a.b-c_d', 'X1', 'x'.repeat(64)]) checkSecretName('secret', ok);
    const invalidName = rpc('invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]');
    for (const bad of ['-a', 'a-', '.a', 'a b', 'a/b', 'x'.repeat(65), 'é']) {
      assert.throws(() => checkSecretName('secret', bad), (e) => isShoalError(e, 'InvalidArgument') && e.message === invalidName, bad);
    }
    assert.throws(() => checkSecretName('config', ''), (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('name must be provided'));
  });

  it('measures base64 like Go and names the field on bad input', () => {
    assert.equal(base64Length('secret', ''), 0);
    assert.equal(base64Length('secret', b64('a')), 1);
    assert.equal(base64Length('secret', b64('ab')), 2);
    assert.equal(base64Length('secret', b64('abc')), 3);
    assert.equal(base64Length('secret', 'YWJj\nZA=='), 4);
    assert.throws(() => base64Length('secret', 'not base64!'), (e) => isShoalError(e, 'InvalidArgument') && e.message.startsWith('Data: illegal base64 data at input byte'));
  });

  it('parses a spec: labels default to {}, data kept as canonical base64', () => {
    assert.deepEqual(parseSecretSpec('secret', { Name: 'pw', Data: b64('hunter2') }), { Name: 'pw', Labels: {}, Data: b64('hunter2') });
    assert.deepEqual(parseSecretSpec('config', { Name: 'c', Labels: { a: 'b' }, Data: 'aGk=\r\n' }), { Name: 'c', Labels: { a: 'b' }, Data: 'aGk=' });
  });

  it('enforces 1 byte .. 500 KiB - 1 for secrets and 1000 KiB - 1 for configs', () => {
    const sized = (n: number): string => b64(new Uint8Array(n));
    parseSecretSpec('secret', { Name: 's', Data: sized(MAX_SECRET_SIZE - 1) });
    parseSecretSpec('config', { Name: 'c', Data: sized(MAX_CONFIG_SIZE - 1) });
    const tooBig = rpc('secret data must be larger than 0 and less than 512000 bytes');
    for (const data of [sized(MAX_SECRET_SIZE), '', undefined]) {
      assert.throws(() => parseSecretSpec('secret', { Name: 's', Data: data }), (e) => isShoalError(e, 'InvalidArgument') && e.message === tooBig);
    }
    assert.throws(
      () => parseSecretSpec('config', { Name: 'c', Data: sized(MAX_CONFIG_SIZE) }),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('config data must be larger than 0 and less than 1024000 bytes'),
    );
  });

  it('refuses wrong types, unknown fields, drivers and templating, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /expected a secret spec object/],
      [{ Name: 5, Data: 'YQ==' }, /^Name: expected a string/],
      [{ Name: 's', Labels: { a: 1 }, Data: 'YQ==' }, /^Labels\.a: expected a string/],
      [{ Name: 's', Data: 'YQ==', Extra: 1 }, /^Extra: unknown field/],
      [{ Name: 's', Driver: { Name: 'vault' } }, /^Driver: secret drivers are not supported/],
      [{ Name: 's', Driver: {} }, /secret driver must have a name/],
      [{ Name: 's', Data: 'YQ==', Templating: { Name: 'golang' } }, /^Templating: templated secrets are not supported/],
    ];
    for (const [input, re] of cases) {
      assert.throws(() => parseSecretSpec('secret', input), (e) => isShoalError(e, 'InvalidArgument') && re.test(e.message), JSON.stringify(input));
    }
  });

  it('updates: only labels may change; the same data (any base64 wrapping) is fine', () => {
    const current = { name: 'pw', data: b64('hunter2') };
    assert.deepEqual(parseSecretUpdate('secret', { Name: 'pw', Labels: { a: 'b' } }, current), { a: 'b' });
    assert.deepEqual(parseSecretUpdate('secret', { Name: 'pw', Data: b64('hunter2'), Labels: null }, current), {});
    const only = rpc('only updates to Labels are allowed');
    for (const body of [{ Name: 'other' }, { Name: 'pw', Data: b64('changed') }, { Name: 'pw', Data: '' }]) {
      assert.throws(() => parseSecretUpdate('secret', body, current), (e) => isShoalError(e, 'InvalidArgument') && e.message === only, JSON.stringify(body));
    }
  });

  it('filters as swarmkit: names exact, name and id prefixes OR-ed, labels AND-ed (k and k= match any value)', () => {
    const s = { ID: 'abc123', Spec: { Name: 'db_pw', Labels: { env: 'prod', tier: '' } } };
    const m = (f: Record<string, string[]>): boolean => matchSecretFilters(Filters.of(f), s);
    assert.ok(m({}));
    assert.ok(m({ names: ['db_pw'] }));
    assert.ok(!m({ names: ['db'] }));
    assert.ok(m({ name: ['db'] }));
    assert.ok(m({ name: ['zzz'], id: ['abc'] }), 'OR between name and id');
    assert.ok(!m({ id: ['abd'] }));
    assert.ok(m({ label: ['env', 'tier='] }));
    assert.ok(m({ label: ['env=prod'] }));
    assert.ok(!m({ label: ['env=dev'] }));
    assert.ok(!m({ label: ['missing'] }));
  });

  it('never shows secret data; shows config data', () => {
    const meta = { ID: 'i', Version: { Index: 3 }, CreatedAt: 't', UpdatedAt: 't' };
    const s: Secret = { ...meta, Spec: { Name: 's', Data: 'shoal-enc:v1:xyz' } };
    assert.deepEqual(publicSecret(s), { ...meta, Spec: { Name: 's', Labels: {} } });
    const c: Config = { ...meta, Spec: { Name: 'c', Labels: { a: 'b' }, Data: 'aGk=' } };
    assert.deepEqual(publicConfig(c), c);
  });

  it('words the in-use refusal as swarmkit', () => {
    assert.equal(inUseError('secret', 'x', ['web']).message, rpc("secret 'x' is in use by the following service: web"));
    assert.equal(inUseError('config', 'x', ['a', 'b']).message, rpc("config 'x' is in use by the following services: a, b"));
  });

  it('payloadsFor: the decrypted data of each referenced secret and config, once each; unknown IDs skipped', () => {
    const meta = { Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };
    const secrets: Secret[] = [{ ...meta, ID: 's1', Spec: { Name: 'pw', Data: 'sealed:cHc=' } }, { ...meta, ID: 's2', Spec: { Name: 'other', Data: 'sealed:eA==' } }];
    const configs: Config[] = [{ ...meta, ID: 'c1', Spec: { Name: 'conf', Data: 'Y29uZg==' } }];
    const task: Pick<Task, 'Spec'> = {
      Spec: {
        ContainerSpec: {
          Image: 'x',
          Secrets: [
            { SecretID: 's1', SecretName: 'pw', File: { Name: 'a', UID: '0', GID: '0', Mode: 0o444 } },
            { SecretID: 's1', SecretName: 'pw', File: { Name: 'b', UID: '0', GID: '0', Mode: 0o444 } },
            { SecretID: 'gone', SecretName: 'gone' },
          ],
          Configs: [{ ConfigID: 'c1', ConfigName: 'conf' }],
        },
      },
    };
    const opened: string[] = [];
    const p = payloadsFor(task, secrets, new Map(configs.map((c) => [c.ID, c])), (stored) => {
      opened.push(stored);
      return stored.slice('sealed:'.length);
    });
    assert.deepEqual(p, { Secrets: [{ ID: 's1', Data: 'cHc=' }], Configs: [{ ID: 'c1', Data: 'Y29uZg==' }] });
    assert.deepEqual(opened, ['sealed:cHc='], 'only referenced secrets are opened');
  });
});
