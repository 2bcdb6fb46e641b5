/**
 * The real Executor: each task's container runs through ContainerService (docker's container model over the
 * Runtime port), so `docker ps` shows task containers as docker does, named `<service>.<slot>.<taskID>` and labelled
 * `com.docker.swarm.*`. Behaves like docker's swarm executor (daemon/cluster/executor/container):
 * - prepare: pulls the image when it is missing, with the credentials the service was given (`X-Registry-Auth`,
 *   kept in `ContainerSpec.PullOptions`; without them the daemon's own docker config is used); a failed pull is
 *   only logged, and the create then fails with docker's "No such image: x:latest", followed by why the pull failed;
 *   then creates the container;
 * - start: starts it ("starting container failed: ..." on error); a container that has already run is not started again;
 * - health: polls the container's health (ContainerService runs the checks);
 * - shutdown: stops it with the spec's StopSignal and StopGracePeriod; remove: force-removes it with its volumes.
 */
import type { ContainerCreateRequest, ContainerInspect } from '../../api/container.js';
import { isShoalError } from '../../api/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { ContainerService } from '../containers/service.js';
import type { AgentTask, ContainerStatus, Controller, EngineDescription, ExitResult, Executor, HealthVerdict } from '../exec/controller.js';
import type { NetworkHost } from '../exec/network.js';
import type { ImageStore } from '../runtime/images/index.js';
import { decodeRegistryAuth } from '../runtime/images/auth-header.js';
import { taskFilesFor } from '../containers/task-files.js';
import { containerName, containerSpecOf, createBody, stopGraceSeconds } from './container-config.js';
import { taskNetworkOf } from './task-network.js';

/** What the executor uses of ContainerService. */
export type Containers = Pick<ContainerService, 'create' | 'start' | 'stop' | 'wait' | 'remove' | 'inspect' | 'releaseNetwork'>;

export interface ContainerExecutorOptions {
  containers: Containers;
  images: Pick<ImageStore, 'resolve' | 'pull'>;
  clock: Clock;
  logger: Logger;
  /** The node description (resources, platform, engine version and labels), from the composition root. */
  describe: () => EngineDescription | Promise<EngineDescription>;
  /** How often `health` looks at the container's health (ms); default 250. */
  healthPollMs?: number;
  /** The node's container networking: ingress ports are reserved through it before a task that publishes them starts. */
  network?: Pick<NetworkHost, 'reserveIngress' | 'settled'>;
  /**
   * How long a task on a network keeps running after its desired state left `running` (it is already out of DNS
   * and the load balancers), so connections in flight can finish: Docker's 2 s by default.
   */
  drainMs?: number;
}

export class ContainerExecutor implements Executor {
  private readonly log: Logger;

  constructor(private readonly o: ContainerExecutorOptions) {
    this.log = o.logger.child({ component: 'executor' });
  }

  async describe(): Promise<EngineDescription> {
    return this.o.describe();
  }

  controller(task: AgentTask): Controller {
    return new ContainerController(task, this.o, this.log.child({ task: task.ID }));
  }
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

class ContainerController implements Controller {
  private readonly name: string;
  private readonly body: () => ContainerCreateRequest;

  constructor(
    private readonly task: AgentTask,
    private readonly o: ContainerExecutorOptions,
    private readonly log: Logger,
  ) {
    this.name = containerName(task);
    this.body = () => createBody(task);
  }

  /** The container, or undefined when it does not exist. */
  private find(): ContainerInspect | undefined {
    try {
      return this.o.containers.inspect(this.name);
    } catch (e) {
      if (isShoalError(e, 'NotFound')) return undefined;
      throw e;
    }
  }

  async prepare(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.find()) return;
    const body = this.body();
    let pullError: string | undefined;
    if (!(await this.o.images.resolve(body.Image))) {
      const auth = decodeRegistryAuth(containerSpecOf(this.task).PullOptions?.RegistryAuth);
      try {
        this.log.info({ image: body.Image, withCredentials: auth !== undefined }, 'pulling the image of a task');
        await this.o.images.pull(body.Image, { signal, ...(auth !== undefined ? { auth } : {}) });
      } catch (e) {
        signal.throwIfAborted();
        pullError = message(e);
        this.log.warn({ image: body.Image, err: pullError }, 'pulling the image failed');
      }
    }
    signal.throwIfAborted();
    // The task's secrets and configs go on a tmpfs of the container's own, bound read-only (task-files.ts).
    const files = taskFilesFor(containerSpecOf(this.task), this.task.Payloads);
    const net = taskNetworkOf(this.task);
    if (net.ingressPorts.length > 0 && this.o.network !== undefined) await this.o.network.reserveIngress(net.ingressPorts);
    try {
      await this.o.containers.create(body, this.name, { files, network: { endpoints: net.endpoints, hostPorts: net.hostPorts } });
    } catch (e) {
      if (pullError !== undefined && isShoalError(e, 'NotFound') && e.code === 'image.not_found') {
        throw new Error(`${e.message} (pulling it failed: ${pullError})`, { cause: e });
      }
      throw e;
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const c = this.find();
    if (!c) throw new Error(`starting container failed: No such container: ${this.name}`);
    if (c.State.Status !== 'created') return;
    try {
      await this.o.containers.start(c.Id);
    } catch (e) {
      throw new Error(`starting container failed: ${message(e)}`, { cause: e });
    }
  }

  async health(signal: AbortSignal, known?: HealthVerdict): Promise<HealthVerdict> {
    for (;;) {
      signal.throwIfAborted();
      const c = this.find();
      if (!c) throw new Error(`No such container: ${this.name}`);
      let verdict: HealthVerdict | undefined;
      if (!c.Config.Healthcheck) verdict = 'none';
      else if (c.State.Running && (c.State.Health?.Status === 'healthy' || c.State.Health?.Status === 'unhealthy')) verdict = c.State.Health.Status;
      if (verdict !== undefined && verdict !== known) return verdict;
      await this.o.clock.sleep(this.o.healthPollMs ?? 250, signal);
    }
  }

  async wait(signal: AbortSignal): Promise<ExitResult> {
    const c = this.find();
    if (!c) throw new Error(`No such container: ${this.name}`);
    const r = await this.o.containers.wait(c.Id, 'not-running', signal);
    return { exitCode: r.StatusCode };
  }

  async shutdown(signal: AbortSignal): Promise<ExitResult | undefined> {
    signal.throwIfAborted();
    const c = this.find();
    if (!c) return undefined;
    const drainMs = this.o.drainMs ?? 2000;
    if (c.State.Running && drainMs > 0 && (this.task.NetworksAttachments?.length ?? 0) > 0) {
      // The manager's view dropped the task from DNS and the VIP maps before this shutdown reached us: once this
      // node has applied it, let the connections in flight finish.
      await this.o.network?.settled().catch(() => undefined);
      await this.o.clock.sleep(drainMs, signal).catch(() => undefined);
    }
    if (c.State.Running || c.State.Restarting) await this.o.containers.stop(c.Id, { timeoutS: stopGraceSeconds(this.task) });
    // A task shut down before it ever started (held at READY, then superseded) ends here: its container was created
    // with a sandbox, and the manager frees the task's addresses now. Give them back on this node too.
    else if (c.State.Status === 'created') await this.o.containers.releaseNetwork(c.Id);
    const after = this.find();
    return after && after.State.Status === 'exited' ? { exitCode: after.State.ExitCode } : undefined;
  }

  async remove(): Promise<void> {
    const c = this.find();
    if (!c) return;
    try {
      await this.o.containers.remove(c.Id, { force: true, volumes: true });
    } catch (e) {
      if (!isShoalError(e, 'NotFound')) throw e;
    }
  }

  async status(): Promise<ContainerStatus | undefined> {
    const c = this.find();
    if (!c) return undefined;
    return { ContainerID: c.Id, PID: c.State.Pid, ExitCode: c.State.ExitCode };
  }
}
