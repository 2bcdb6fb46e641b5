import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../api/errors.js';
import { Filters } from '../../api/filters.js';
import { initializedControl } from '../../../test/builders/control.js';
import { createConfig, getConfig, listConfigs, removeConfig, updateConfig } from './configs.js';
import { createService } from './services.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const rpc = (code: string, desc: string): string => `rpc error: code = ${code} desc = ${desc}`;

describe('controlapi configs', () => {
  it('stores and returns the data (base64), with labels', async () => {
    const { deps } = await initializedControl();
    const { ID } = await createConfig(deps, { Name: 'nginx.conf', Labels: { a: 'b' }, Data: b64('server {}\n') });
    const c = await getConfig(deps, 'nginx.conf');
    assert.equal(c.ID, ID);
    assert.deepEqual(c.Spec, { Name: 'nginx.conf', Labels: { a: 'b' }, Data: b64('server {}\n') });
    assert.deepEqual((await listConfigs(deps, Filters.of({ label: ['a=b'] }))).map((x) => x.ID), [ID]);
  });

  it('allows up to 1000 KiB - 1, refuses more, refuses duplicates with swarmkit’s text', async () => {
    const { deps } = await initializedControl();
    await createConfig(deps, { Name: 'big', Data: Buffer.alloc(1024000 - 1).toString('base64') });
    await assert.rejects(
      createConfig(deps, { Name: 'bigger', Data: Buffer.alloc(1024000).toString('base64') }),
      (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', 'config data must be larger than 0 and less than 1024000 bytes'),
    );
    await assert.rejects(createConfig(deps, { Name: 'big', Data: b64('x') }), (e) => isShoalError(e, 'AlreadyExists') && e.message === rpc('AlreadyExists', 'config big already exists'));
  });

  it('updates labels only and refuses removal while in use', async () => {
    const { deps } = await initializedControl();
    const { ID } = await createConfig(deps, { Name: 'conf', Data: b64('v1') });
    const v = (await getConfig(deps, ID)).Version.Index;
    await assert.rejects(updateConfig(deps, ID, v, { Name: 'conf', Data: b64('v2') }), (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', 'only updates to Labels are allowed'));
    await updateConfig(deps, ID, v, { Name: 'conf', Labels: { l: '1' }, Data: b64('v1') });
    assert.deepEqual((await getConfig(deps, ID)).Spec.Labels, { l: '1' });
    await createService(deps, {
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'img:1', Configs: [{ ConfigID: ID, ConfigName: 'conf', File: { Name: '/conf', UID: '0', GID: '0', Mode: 292 } }] } },
    });
    await assert.rejects(removeConfig(deps, 'conf'), (e) => isShoalError(e, 'InvalidArgument') && e.message === rpc('InvalidArgument', "config 'conf' is in use by the following service: web"));
  });
});
