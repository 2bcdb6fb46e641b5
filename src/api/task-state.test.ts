import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_TASK_STATES, TaskState, canTransition, isTaskState, isTerminal } from './task-state.js';

describe('task states', () => {
  it('are ordered so that greater means later, 64 apart like swarmkit', () => {
    assert.equal(TaskState.pending - TaskState.new, 64);
    const order = ['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting', 'running', 'complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned'] as const;
    for (let i = 1; i < order.length; i++) assert.ok(TaskState[order[i]!] > TaskState[order[i - 1]!], order[i]);
    assert.equal(ALL_TASK_STATES.length, order.length);
  });
  it('only move forward', () => {
    assert.ok(canTransition('assigned', 'running'));
    assert.ok(!canTransition('running', 'starting'));
    assert.ok(!canTransition('running', 'running'));
  });
  it('know which states are terminal and which names are states', () => {
    assert.ok(isTerminal('failed') && isTerminal('complete') && !isTerminal('running'));
    assert.ok(isTaskState('running') && !isTaskState('sleeping'));
  });
});
