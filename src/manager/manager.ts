/**
 * A leader's manager: the dispatcher plus the allocator, scheduler, orchestrators and task reaper, run under one
 * supervisor (DESIGN §1, §4.1). Components never talk to each other: each watches the store and writes to it.
 * The dispatcher is one long-lived instance (its routes are mounted on the RPC server once); the other components
 * are built afresh for every supervised round, so a restart starts from a clean snapshot.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Random } from '../lib/random.js';
import type { Store } from '../store/core/store.js';
import { Allocator } from './allocator/index.js';
import { Dispatcher } from './dispatcher/index.js';
import {
  GlobalOrchestrator,
  JobsOrchestrator,
  ReplicatedOrchestrator,
  RestartSupervisor,
  TaskReaper,
  UpdateSupervisor,
} from './orchestrator/index.js';
import { Scheduler } from './scheduler/index.js';
import { supervise, type Component } from './supervisor.js';

export interface ManagerOptions {
  store: Store;
  clock: Clock;
  random: Random;
  logger: Logger;
  heartbeatPeriodMs: number;
  /** Opens a stored secret's sealed `Spec.Data` (base64 out) for the payloads the dispatcher sends agents. */
  openSecret?: (stored: string) => string;
}

export class Manager {
  readonly dispatcher: Dispatcher;
  private readonly log: Logger;

  constructor(private readonly o: ManagerOptions) {
    this.log = o.logger.child({ component: 'manager' });
    this.dispatcher = new Dispatcher({
      store: o.store,
      clock: o.clock,
      logger: o.logger,
      heartbeatPeriodMs: o.heartbeatPeriodMs,
      ...(o.openSecret !== undefined ? { openSecret: o.openSecret } : {}),
    });
  }

  components(): Component[] {
    const { store, clock, random, logger } = this.o;
    const deps = { store, clock, random, logger };
    const named = (name: string, c: { run(signal: AbortSignal): Promise<void> }): Component => ({ name, run: (s) => c.run(s) });
    return [
      named('dispatcher', this.dispatcher),
      named('allocator', new Allocator({ store, clock, logger })),
      named('scheduler', new Scheduler({ store, clock, random, logger })),
      named('replicated-orchestrator', new ReplicatedOrchestrator(deps)),
      named('global-orchestrator', new GlobalOrchestrator(deps)),
      named('jobs-orchestrator', new JobsOrchestrator(deps)),
      named('restart-supervisor', new RestartSupervisor(deps)),
      named('update-supervisor', new UpdateSupervisor(deps)),
      named('task-reaper', new TaskReaper(deps)),
    ];
  }

  /** Runs until `signal` aborts (leadership lost, node leaving, daemon stopping). */
  async run(signal: AbortSignal): Promise<void> {
    this.log.info('manager components starting');
    await supervise(() => this.components(), signal, { clock: this.o.clock, logger: this.log });
    this.log.info('manager components stopped');
  }
}
