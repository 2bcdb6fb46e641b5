/**
 * Registry credentials of services (registry-auth.ts): the `X-Registry-Auth` of a create or update is kept in the
 * stored spec, where the tasks get it; an update without it keeps the current (or previous) spec's; the API never
 * shows it; new credentials make the tasks out of date, the same ones do not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Filters } from '../../api/filters.js';
import type { Service, Task } from '../../api/types.js';
import { initializedControl } from '../../../test/builders/control.js';
import type { ControlDeps } from './deps.js';
import { hideRegistryAuth, keptRegistryAuth, withRegistryAuth } from './registry-auth.js';
import { createService, getService, listServices, updateService } from './services.js';
import { getTask, listTasks } from './tasks.js';

const AUTH = Buffer.from(JSON.stringify({ username: 'me', password: 'pw', serveraddress: 'reg:5000' })).toString('base64url');
const OTHER = Buffer.from(JSON.stringify({ username: 'me', password: 'new' })).toString('base64url');

const spec = (image = 'reg:5000/app:1'): Record<string, unknown> => ({ Name: 'app', TaskTemplate: { ContainerSpec: { Image: image } }, Mode: { Replicated: { Replicas: 1 } } });

async function stored(deps: ControlDeps, id: string): Promise<Service> {
  const s = await deps.store.view().get('services', id);
  assert.ok(s);
  return s;
}

const authOf = (s: Service | undefined): string | undefined => s?.Spec.TaskTemplate.ContainerSpec?.PullOptions?.RegistryAuth;

describe('controlapi: registry credentials of services', () => {
  it('create keeps the header in the stored spec; the API views never show it', async () => {
    const { deps } = await initializedControl();
    const { service } = await createService(deps, spec(), { registryAuth: AUTH });
    assert.equal(authOf(await stored(deps, service.ID)), AUTH);
    for (const view of [service, await getService(deps, service.ID, { insertDefaults: true }), ...(await listServices(deps, { filters: Filters.empty(), status: true }))]) {
      assert.doesNotMatch(JSON.stringify(view), /PullOptions|RegistryAuth/);
    }
    const none = await createService(deps, { ...spec(), Name: 'plain' });
    assert.equal(authOf(await stored(deps, none.service.ID)), undefined, 'no header, no credentials');
    const empty = await createService(deps, { ...spec(), Name: 'empty' }, { registryAuth: '' });
    assert.equal(authOf(await stored(deps, empty.service.ID)), undefined);
  });

  it('a body cannot set them: only the header does', async () => {
    const { deps } = await initializedControl();
    const body = { ...spec(), TaskTemplate: { ContainerSpec: { Image: 'reg:5000/app:1', PullOptions: { RegistryAuth: AUTH } } } };
    const { service } = await createService(deps, body);
    assert.equal(authOf(await stored(deps, service.ID)), undefined);
  });

  it('an update without the header keeps them (from the spec, or the previous spec); with it, replaces them', async () => {
    const { deps } = await initializedControl();
    const { service } = await createService(deps, spec(), { registryAuth: AUTH });
    const version = async (): Promise<number> => (await stored(deps, service.ID)).Version.Index;
    await updateService(deps, service.ID, { version: await version(), spec: spec('reg:5000/app:2') });
    assert.equal(authOf(await stored(deps, service.ID)), AUTH, 'kept from the current spec');
    await updateService(deps, service.ID, { version: await version(), spec: spec('reg:5000/app:3'), registryAuth: OTHER });
    assert.equal(authOf(await stored(deps, service.ID)), OTHER);
    await updateService(deps, service.ID, { version: await version(), spec: spec('reg:5000/app:4'), registryAuthFrom: 'previous-spec' });
    assert.equal(authOf(await stored(deps, service.ID)), AUTH, 'from the previous spec (app:2, AUTH), not the current one (app:3, OTHER)');
    const s = await stored(deps, service.ID);
    assert.equal(authOf({ ...s, Spec: s.PreviousSpec ?? s.Spec }), OTHER);
    assert.doesNotMatch(JSON.stringify(await getService(deps, service.ID, { insertDefaults: false })), /PullOptions|RegistryAuth/, 'PreviousSpec is hidden too');
  });

  it('new credentials make the tasks out of date; the same ones, sent again, do not', async () => {
    const { deps } = await initializedControl();
    const { service } = await createService(deps, spec(), { registryAuth: AUTH });
    const specVersion = async (): Promise<number | undefined> => (await stored(deps, service.ID)).SpecVersion?.Index;
    const version = async (): Promise<number> => (await stored(deps, service.ID)).Version.Index;
    assert.equal(await specVersion(), 1);
    await updateService(deps, service.ID, { version: await version(), spec: spec(), registryAuth: AUTH });
    assert.equal(await specVersion(), 1, 'same spec, same credentials');
    await updateService(deps, service.ID, { version: await version(), spec: spec() });
    assert.equal(await specVersion(), 1, 'no header: credentials kept');
    await updateService(deps, service.ID, { version: await version(), spec: spec(), registryAuth: OTHER });
    assert.equal(await specVersion(), 2, 'new credentials: the tasks are out of date');
  });

  it('tasks carry them to the agents; the task API views do not show them', async () => {
    const { deps } = await initializedControl();
    const { service } = await createService(deps, spec(), { registryAuth: AUTH });
    const s = await stored(deps, service.ID);
    const task: Task = {
      ID: 'task1',
      Version: { Index: 0 },
      CreatedAt: '2024-01-01T00:00:00Z',
      UpdatedAt: '2024-01-01T00:00:00Z',
      Labels: {},
      Spec: structuredClone(s.Spec.TaskTemplate),
      ServiceID: s.ID,
      Slot: 1,
      Status: { Timestamp: '2024-01-01T00:00:00Z', State: 'new', Message: 'created' },
      DesiredState: 'running',
    };
    await deps.store.update((tx) => {
      tx.create('tasks', task);
    });
    assert.equal((await deps.store.view().get('tasks', 'task1'))?.Spec.ContainerSpec?.PullOptions?.RegistryAuth, AUTH);
    assert.doesNotMatch(JSON.stringify(await getTask(deps, 'task1')), /PullOptions|RegistryAuth/);
    assert.doesNotMatch(JSON.stringify(await listTasks(deps)), /PullOptions|RegistryAuth/);
  });

  it('the pure helpers: set only a non-empty header, keep from spec or previous spec, hide without copying when there is nothing', () => {
    const plain = { Name: 'a', TaskTemplate: { ContainerSpec: { Image: 'x' } } };
    assert.equal(withRegistryAuth(plain, undefined), plain);
    assert.equal(withRegistryAuth(plain, ''), plain);
    const withAuth = withRegistryAuth(plain, AUTH);
    assert.deepEqual(withAuth.TaskTemplate.ContainerSpec, { Image: 'x', PullOptions: { RegistryAuth: AUTH } });
    assert.deepEqual(plain.TaskTemplate.ContainerSpec, { Image: 'x' }, 'not mutated');
    assert.equal(keptRegistryAuth({ Spec: withAuth }, undefined), AUTH);
    assert.equal(keptRegistryAuth({ Spec: withAuth }, 'previous-spec'), undefined);
    assert.equal(keptRegistryAuth({ Spec: plain, PreviousSpec: withAuth }, 'previous-spec'), AUTH);
    assert.equal(hideRegistryAuth(plain), plain);
    assert.deepEqual(hideRegistryAuth(withAuth), plain);
    assert.equal(withAuth.TaskTemplate.ContainerSpec?.PullOptions?.RegistryAuth, AUTH, 'hiding does not mutate');
  });
});
