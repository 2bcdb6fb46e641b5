import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../test/fakes/clock.js';
import { rfc3339Nano } from '../../lib/clock.js';
import { ReplicatedOrchestrator } from './replicated-orchestrator.js';
import { RestartSupervisor } from './restart-supervisor.js';
import { TaskReaper } from './task-reaper.js';
import { Harness, T0, aNode, aService } from './fixtures.testkit.js';

describe('TaskReaper (memory store, fake agent)', () => {
  it('keeps TaskHistoryRetentionLimit tasks per slot (default 5), following the cluster setting', async () => {
    await using h = new Harness({ clock: new FakeClock() });
    await h.create(aNode('n1'), aService({ replicas: 1, restart: { Delay: 0 } }));
    h.start(new ReplicatedOrchestrator(h.deps), new RestartSupervisor(h.deps), new TaskReaper(h.deps));
    h.startAgent();
    for (let i = 0; i < 8; i++) {
      await h.advance(1000);
      const running = (await h.tasks()).find((t) => t.Status.State === 'running');
      assert.ok(running);
      await h.report(running.ID, 'failed', 'task: non-zero exit (1)');
    }
    await h.advance(1000);
    let tasks = await h.tasks();
    assert.equal(tasks.length, 5);
    assert.equal(tasks.filter((t) => t.Status.State === 'running').length, 1);

    await h.store.update((tx) =>
      tx.create('cluster', {
        ID: 'c1',
        Version: { Index: 0 },
        CreatedAt: rfc3339Nano(T0),
        UpdatedAt: rfc3339Nano(T0),
        Spec: {
          Name: 'default',
          Labels: {},
          Orchestration: { TaskHistoryRetentionLimit: 2 },
          Raft: { ElectionTick: 10, HeartbeatTick: 1 },
          Dispatcher: {},
          CAConfig: {},
          TaskDefaults: {},
          EncryptionConfig: { AutoLockManagers: false },
        },
        TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
        RootRotationInProgress: false,
        DefaultAddrPool: [],
        SubnetSize: 24,
        DataPathPort: 4789,
        JoinTokens: { Worker: '', Manager: '' },
        RootCAKey: '',
        TokenSecrets: { Worker: '', Manager: '' },
        UnlockKey: '',
      }),
    );
    await h.quiesce();
    tasks = await h.tasks();
    assert.equal(tasks.length, 2);
  });
});
