import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_TASK_STATES, type TaskStateName } from '../../api/task-state.js';
import type { Task, TaskStatus } from '../../api/types.js';
import { sameForAgent } from './same-for-agent.js';
import { isAgentState, later, supersedes } from './status-rules.js';

const st = (State: TaskStateName, second = 0, Message: string = State): TaskStatus => ({
  State,
  Timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString(),
  Message,
});

void describe('status rules', () => {
  void it('an agent may set accepted through rejected only', () => {
    assert.deepEqual(
      ALL_TASK_STATES.filter(isAgentState),
      ['accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected'],
    );
  });

  void it('a report supersedes only forwards, or the same state with newer details', () => {
    assert.equal(supersedes(st('assigned'), st('accepted', 1)), true);
    assert.equal(supersedes(st('running', 5), st('starting', 6)), false, 'backwards');
    assert.equal(supersedes(st('running', 5), st('running', 6, 'started again')), true);
    assert.equal(supersedes(st('running', 5), st('running', 4, 'older')), false);
    assert.equal(supersedes(st('running', 5), st('running', 5)), false, 'identical');
    assert.equal(supersedes(st('pending'), st('running', 6)), false, 'never before the scheduler assigned it');
  });

  void it('between two unsent reports the later state wins, then the newer timestamp', () => {
    assert.equal(later(st('running', 1), st('starting', 9)).State, 'running');
    assert.equal(later(st('running', 1, 'a'), st('running', 2, 'b')).Message, 'b');
  });

  void it('changes of Status, Version and UpdatedAt alone do not matter to the agent', () => {
    const t = { ID: 't', Version: { Index: 1 }, UpdatedAt: 'x', DesiredState: 'running', Status: st('running') } as unknown as Task;
    assert.equal(sameForAgent(t, { ...t, Version: { Index: 2 }, UpdatedAt: 'y', Status: st('complete') }), true);
    assert.equal(sameForAgent(t, { ...t, DesiredState: 'shutdown' }), false);
  });
});
