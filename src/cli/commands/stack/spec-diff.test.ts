import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServiceSpec } from '../../../client/service-types.js';
import { specChanged } from './spec-diff.js';

/** What stack deploy sends (docker's shape: empty Resources/Placement/EndpointSpec, Replicated without Replicas). */
const sent = (image = 'shoal-test/web:1'): ServiceSpec => ({
  Name: 'st_web',
  Labels: { 'com.docker.stack.namespace': 'st' },
  TaskTemplate: {
    ContainerSpec: {
      Image: image,
      Labels: { 'com.docker.stack.namespace': 'st' },
      Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
      Secrets: [{ File: { Name: 'pw', UID: '0', GID: '0', Mode: 292 }, SecretID: 'sec1', SecretName: 'st_pw' }],
    },
    Resources: {},
    Placement: {},
    Networks: [{ Target: 'st_default', Aliases: ['web'] }],
  },
  Mode: { Replicated: {} },
  EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 80 }] },
});

/** What the daemon stores for it: defaults filled in, the network by ID. */
const stored = (): ServiceSpec => ({
  Name: 'st_web',
  Labels: { 'com.docker.stack.namespace': 'st' },
  TaskTemplate: {
    ContainerSpec: {
      Image: 'shoal-test/web:1',
      Labels: { 'com.docker.stack.namespace': 'st' },
      Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
      Isolation: 'default',
      Secrets: [{ File: { Name: 'pw', UID: '0', GID: '0', Mode: 292 }, SecretID: 'other-id', SecretName: 'st_pw' }],
    },
    Resources: { Limits: {}, Reservations: {} },
    Placement: {},
    Networks: [{ Target: 'netid1', Aliases: ['web'] }],
    ForceUpdate: 0,
    Runtime: 'container',
  },
  Mode: { Replicated: { Replicas: 1 } },
  EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' }] },
});

const names = new Map([['netid1', 'st_default']]);

describe('specChanged', () => {
  it('sees no change between what stack deploy sends and what the daemon stored for it', () => {
    assert.equal(specChanged(stored(), sent(), names), false);
  });

  it('sees a changed image, replica count or network', () => {
    assert.equal(specChanged(stored(), sent('shoal-test/web:2'), names), true);
    const scaled = sent();
    scaled.Mode = { Replicated: { Replicas: 3 } };
    assert.equal(specChanged(stored(), scaled, names), true);
    assert.equal(specChanged(stored(), sent(), new Map([['netid1', 'st_other']])), true);
  });
});
