/**
 * The Executor and Controller ports (swarmkit's agent/exec, simplified): what the worker needs to run one task.
 *
 * An Executor describes the node (resources, platform, engine labels) and makes one Controller per task. A Controller
 * drives the task's single container through its life; the worker's task manager decides which operation to call next
 * with the pure task machine (task-machine.ts) and never calls two operations of one controller at the same time,
 * except `health` alongside `wait`.
 *
 * The real executor runs containers through ContainerService (src/agent/worker/container-executor.ts); the fake
 * (test/fakes/executor.ts) simulates them. Both pass test/contracts/controller.ts.
 *
 * Invariants every Controller keeps:
 * - `prepare`, `start`, `shutdown` and `remove` are idempotent, and a second Controller made for the same task (after
 *   an agent restart) adopts the container the first one made: `prepare` finds it, `start` never starts a container
 *   that has already run, `wait` returns the exit of one that ended meanwhile.
 * - Errors are thrown with docker's wording: `prepare` fails with "No such image: x:latest" when the image is missing
 *   and cannot be pulled; `start` with "starting container failed: ...".
 * - Operations taking a `signal` reject with its reason once it aborts (ContainerService's stop is not abortable, so
 *   `shutdown` may finish its grace period first).
 */
import type { Labels, NodeDescription, Task, TaskStatus } from '../../api/types.js';

/**
 * A task as the dispatcher ships it to the agent: the stored Task plus the name of its service (swarmkit's
 * `Task.ServiceAnnotations`). Container names and the `com.docker.swarm.service.name` label need the name; when the
 * dispatcher leaves it out, the controller falls back to the service ID.
 */
export type AgentTask = Task & {
  ServiceAnnotations?: { Name: string; Labels?: Labels };
  /** The data of the secrets and configs the task's ContainerSpec references (base64), on the wire only. */
  Payloads?: { Secrets: { ID: string; Data: string }[]; Configs: { ID: string; Data: string }[] };
};

/** A container's health as the task machine sees it: `none` when it has no healthcheck. Never `starting`. */
export type HealthVerdict = 'none' | 'healthy' | 'unhealthy';

export interface ExitResult {
  exitCode: number;
}

/** What the agent reports about the container in `Task.Status.ContainerStatus`. */
export type ContainerStatus = NonNullable<TaskStatus['ContainerStatus']>;

export interface Controller {
  /** Makes the task ready to start: pulls the image when it is missing, creates the container. */
  prepare(signal: AbortSignal): Promise<void>;
  /** Starts the container; a no-op when it is running or has already run. */
  start(signal: AbortSignal): Promise<void>;
  /**
   * Resolves with the container's health once it is decided and differs from `known`: `none` at once for a container
   * without a healthcheck, `healthy`/`unhealthy` when the checks say so. Keeps waiting while the container is not
   * running (callers race it with `wait`).
   */
  health(signal: AbortSignal, known?: HealthVerdict): Promise<HealthVerdict>;
  /** Resolves when the container has exited (at once if it already has). */
  wait(signal: AbortSignal): Promise<ExitResult>;
  /**
   * Stops the container with the task's StopSignal, then SIGKILL after its StopGracePeriod (default 10 s). Resolves with
   * the exit when the container has run, undefined when there was no container or it never started.
   */
  shutdown(signal: AbortSignal): Promise<ExitResult | undefined>;
  /** Removes the container (forcefully, with its anonymous volumes); a no-op when there is none. */
  remove(): Promise<void>;
  /** The container's ID, PID and exit code, or undefined before it exists. */
  status(): Promise<ContainerStatus | undefined>;
}

/** The node description an executor gives (the session adds TLSInfo). */
export type EngineDescription = Omit<NodeDescription, 'TLSInfo'>;

export interface Executor {
  describe(): Promise<EngineDescription>;
  /** A controller for the task; cheap, does no I/O. */
  controller(task: AgentTask): Controller;
}
