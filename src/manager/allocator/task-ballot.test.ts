import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service } from '../../api/types.js';
import { aService, aTask, ingress } from './fixtures.testkit.js';
import type { PortsView, TaskVoter } from './task-ballot.js';
import { PENDING_MESSAGE, ballot, portsVoter } from './task-ballot.js';

const STAMP = '2024-01-01T00:00:01Z';
const view = (o: { refused?: string; allocated?: boolean }): PortsView => ({
  refusal: () => o.refused,
  isAllocated: () => o.allocated ?? true,
});

describe('ballot', () => {
  const svc: Service = { ...aService('s', 'web', [ingress(80)]), Endpoint: { Spec: {}, Ports: [{ ...ingress(80), PublishedPort: 30000 }] } };

  it('moves a NEW task of an allocated service to PENDING with a copy of its Endpoint', () => {
    const b = ballot(aTask('t', 's'), svc, [portsVoter(view({}))], STAMP);
    assert.equal(b.kind, 'pending');
    assert.ok(b.kind === 'pending');
    assert.deepEqual(b.task.Status, { Timestamp: STAMP, State: 'pending', Message: PENDING_MESSAGE });
    assert.equal(b.task.UpdatedAt, STAMP);
    assert.deepEqual(b.task.Endpoint, svc.Endpoint);
    assert.notEqual(b.task.Endpoint, svc.Endpoint, 'a copy');
  });

  it('gives no Endpoint to tasks of a service without ports', () => {
    const b = ballot(aTask('t', 's'), aService('s', 'plain'), [portsVoter(view({}))], STAMP);
    assert.ok(b.kind === 'pending' && b.task.Endpoint === undefined);
  });

  it('waits while the service is not allocated, and refuses with the reason of a conflict', () => {
    assert.deepEqual(ballot(aTask('t', 's'), svc, [portsVoter(view({ allocated: false }))], STAMP), { kind: 'wait' });
    assert.deepEqual(ballot(aTask('t', 's'), svc, [portsVoter(view({ refused: 'port taken' }))], STAMP), { kind: 'refused', reason: 'port taken' });
  });

  it('waits for tasks that are not NEW, are no longer wanted, or have no service', () => {
    const voters = [portsVoter(view({}))];
    assert.deepEqual(ballot(aTask('t', 's', { state: 'pending' }), svc, voters, STAMP), { kind: 'wait' });
    assert.deepEqual(ballot(aTask('t', 's', { desired: 'shutdown' }), svc, voters, STAMP), { kind: 'wait' });
    assert.deepEqual(ballot(aTask('t', 's'), undefined, voters, STAMP), { kind: 'wait' });
    assert.equal(ballot(aTask('t', 's', { desired: 'complete' }), svc, voters, STAMP).kind, 'pending', 'job tasks are desired COMPLETE');
  });

  it('asks every voter (the extension point for networks) and merges their parts', () => {
    const networks: TaskVoter = { name: 'networks', vote: () => ({ kind: 'yes', patch: { NetworksAttachments: [] } }) };
    const b = ballot(aTask('t', 's'), svc, [portsVoter(view({})), networks], STAMP);
    assert.ok(b.kind === 'pending' && b.task.NetworksAttachments !== undefined && b.task.Endpoint !== undefined);
    const notYet: TaskVoter = { name: 'networks', vote: () => ({ kind: 'wait' }) };
    assert.deepEqual(ballot(aTask('t', 's'), svc, [portsVoter(view({})), notYet], STAMP), { kind: 'wait' });
  });
});
