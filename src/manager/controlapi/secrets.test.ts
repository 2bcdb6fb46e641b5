import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { SecretBox } from '../../ca/secret-box.js';
import { initializedControl } from '../../../test/builders/control.js';
import type { ControlDeps } from './deps.js';
import { createService, removeService } from './services.js';
import { createSecret, getSecret, listSecrets, removeSecret, updateSecret, type SecretDeps } from './secrets.js';

const PLAIN = 'hunter2-top-secret';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const rpc = (code: string, desc: string): string => `rpc error: code = ${code} desc = ${desc}`;

async function harness(): Promise<{ deps: SecretDeps & ControlDeps; box: SecretBox }> {
  const { deps } = await initializedControl();
  const box = new SecretBox(new Uint8Array(32).fill(3));
  return { deps: { ...deps, secretBox: box }, box };
}

function aServiceUsing(name: string, secret: { id: string; name: string }): Record<string, unknown> {
  return {
    Name: name,
    TaskTemplate: { ContainerSpec: { Image: 'img:1', Secrets: [{ SecretID: secret.id, SecretName: secret.name, File: { Name: secret.name, UID: '0', GID: '0', Mode: 292 } }] } },
    Mode: { Replicated: { Replicas: 1 } },
  };
}

describe('controlapi secrets', () => {
  it('stores the data sealed: the raw store value never contains the plaintext, and the box opens it', async () => {
    const { deps, box } = await harness();
    const { ID } = await createSecret(deps, { Name: 'pw', Labels: { env: 'prod' }, Data: b64(PLAIN) });
    const raw = await deps.store.backend.range('');
    const rows = raw.kvs.filter((kv) => kv.key.includes(ID));
    assert.ok(rows.length > 0, 'the secret is in the backend');
    for (const kv of raw.kvs) {
      const text = typeof kv.value === 'string' ? kv.value : Buffer.from(kv.value).toString('utf8');
      assert.ok(!text.includes(PLAIN) && !text.includes(b64(PLAIN)), `raw value of ${kv.key} holds the plaintext`);
    }
    const stored = await deps.store.view().get('secrets', ID);
    const sealed = stored?.Spec.Data ?? '';
    assert.ok(sealed.startsWith('shoal-enc:v1:'));
    assert.equal(box.open(sealed), b64(PLAIN));
  });

  it('never returns the data: create, list, get', async () => {
    const { deps } = await harness();
    const { ID } = await createSecret(deps, { Name: 'pw', Data: b64(PLAIN) });
    const got = await getSecret(deps, 'pw');
    assert.equal(got.ID, ID);
    assert.deepEqual(got.Spec, { Name: 'pw', Labels: {} });
    assert.deepEqual(Object.keys(got), ['ID', 'Version', 'CreatedAt', 'UpdatedAt', 'Spec']);
    const [listed] = await listSecrets(deps);
    assert.deepEqual(listed?.Spec, { Name: 'pw', Labels: {} });
    assert.equal((await getSecret(deps, ID.slice(0, 5))).ID, ID, 'by ID prefix');
  });

  it('refuses a duplicate name (any case) with swarmkit’s AlreadyExists text, and bad specs, writing nothing', async () => {
    const { deps } = await harness();
    await createSecret(deps, { Name: 'pw', Data: b64('x') });
    for (const name of ['pw', 'PW']) {
      await assert.rejects(createSecret(deps, { Name: name, Data: b64('y') }), (e) => isShoalError(e, 'AlreadyExists') && e.message === rpc('AlreadyExists', `secret ${name} already exists`));
    }
    await assert.rejects(createSecret(deps, { Name: 'big', Data: Buffer.alloc(512000).toString('base64') }), (e) => isShoalError(e, 'InvalidArgument'));
    await assert.rejects(createSecret(deps, { Name: 'bad name', Data: b64('y') }), (e) => isShoalError(e, 'InvalidArgument'));
    assert.equal((await listSecrets(deps)).length, 1);
  });

  it('lists with docker’s filters and refuses unknown filter keys', async () => {
    const { deps } = await harness();
    await createSecret(deps, { Name: 'db_pw', Labels: { env: 'prod' }, Data: b64('1') });
    await createSecret(deps, { Name: 'db_user', Labels: { env: 'dev' }, Data: b64('2') });
    await createSecret(deps, { Name: 'api', Data: b64('3') });
    const names = async (f: Record<string, string[]>): Promise<string[]> => (await listSecrets(deps, Filters.of(f))).map((s) => s.Spec.Name).sort();
    assert.deepEqual(await names({ name: ['db'] }), ['db_pw', 'db_user']);
    assert.deepEqual(await names({ names: ['db'] }), []);
    assert.deepEqual(await names({ names: ['api', 'db_pw'] }), ['api', 'db_pw']);
    assert.deepEqual(await names({ label: ['env=prod'] }), ['db_pw']);
    assert.deepEqual(await names({ label: ['env'] }), ['db_pw', 'db_user']);
    await assert.rejects(listSecrets(deps, Filters.of({ color: ['x'] })), (e) => isShoalError(e, 'InvalidArgument') && e.message === "invalid filter 'color'");
  });

  it('updates labels only, under the version; data or name changes are refused', async () => {
    const { deps, box } = await harness();
    const { ID } = await createSecret(deps, { Name: 'pw', Data: b64(PLAIN) });
    const v = (await getSecret(deps, ID)).Version.Index;
    await updateSecret(deps, 'pw', v, { Name: 'pw', Labels: { rotated: 'yes' } });
    const after = await deps.store.view().get('secrets', ID);
    assert.deepEqual(after?.Spec.Labels, { rotated: 'yes' });
    assert.equal(box.open(after?.Spec.Data ?? ''), b64(PLAIN), 'data unchanged');
    const only = rpc('InvalidArgument', 'only updates to Labels are allowed');
    const v2 = after?.Version.Index ?? 0;
    await assert.rejects(updateSecret(deps, ID, v2, { Name: 'pw', Data: b64('other'), Labels: {} }), (e) => isShoalError(e, 'InvalidArgument') && e.message === only);
    await assert.rejects(updateSecret(deps, ID, v2, { Name: 'renamed', Labels: {} }), (e) => isShoalError(e, 'InvalidArgument') && e.message === only);
    await updateSecret(deps, ID, v2, { Name: 'pw', Data: b64(PLAIN), Labels: {} });
    await assert.rejects(updateSecret(deps, ID, v2, { Name: 'pw', Labels: {} }), (e) => isShoalError(e, 'Conflict') && e.message === 'update out of sequence');
    await assert.rejects(updateSecret(deps, 'nope', 1, { Name: 'nope' }), (e) => isShoalError(e, 'NotFound') && e.message === 'secret nope not found');
  });

  it('refuses removal while a service references it, naming the services; then removes', async () => {
    const { deps } = await harness();
    const { ID } = await createSecret(deps, { Name: 'x', Data: b64('1') });
    const web = await createService(deps, aServiceUsing('web', { id: ID, name: 'x' }));
    await assert.rejects(removeSecret(deps, 'x'), (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', "secret 'x' is in use by the following service: web"));
    await createService(deps, aServiceUsing('api', { id: ID, name: 'x' }));
    await assert.rejects(removeSecret(deps, ID), (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', "secret 'x' is in use by the following services: api, web"));
    await removeService(deps, web.service.ID);
    await removeService(deps, 'api');
    await removeSecret(deps, 'x');
    assert.deepEqual(await listSecrets(deps), []);
    await assert.rejects(removeSecret(deps, 'x'), (e) => isShoalError(e, 'NotFound') && e.message === 'secret x not found');
  });
});
