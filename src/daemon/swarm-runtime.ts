/**
 * What runs while this node is in a swarm: on a manager, the RPC server (mutual TLS on the swarm listen address)
 * with the dispatcher and the leader's components; on every node, the agent (a session to a dispatcher and the
 * worker that runs the assigned tasks). A single node runs both ends over the same mTLS transport: there is no
 * in-process shortcut (docs/design/services.md).
 */
import { join } from 'node:path';
import type { NodeDescription } from '../api/types.js';
import type { NodeNetworkView } from '../api/network-view.js';
import type { NetworkHost } from '../agent/exec/network.js';
import type { ContainerService } from '../agent/containers/service.js';
import type { ImageStore } from '../agent/runtime/images/store-port.js';
import { AgentSession } from '../agent/session/index.js';
import { LogAgent, containerLogFiles } from '../agent/logs/index.js';
import { ContainerExecutor, Worker } from '../agent/worker/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Random } from '../lib/random.js';
import { heartbeatPeriodMsOf } from '../manager/dispatcher/index.js';
import { Manager } from '../manager/manager.js';
import { LogBroker } from '../manager/logbroker/index.js';
import { startRpcServer, type RpcRoute, type RpcServer, type RpcTls } from '../rpc/index.js';
import type { Store } from '../store/core/store.js';
import { startDashboard, type DashboardAddress, type DashboardServer } from '../dashboard/index.js';
import type { SecretSealer } from '../manager/controlapi/deps.js';
import type { LocalSwarmState, NodeCertificates } from './local-state.js';
import { caRoutes, refuseRemovedNodes } from './ca-routes.js';
import { CertRenewer } from './cert-renewal.js';

export interface AgentDeps {
  containers: ContainerService;
  images: ImageStore;
  /** The node's container networking (bridges, sandboxes, DNS, the routing mesh); absent: loopback only. */
  network?: NetworkHost;
  /** How long a networked task drains before it is stopped (default 2000 ms). */
  drainMs?: number;
}

export interface SwarmRuntimeOptions {
  state: LocalSwarmState;
  certs: NodeCertificates;
  /** Present on managers. */
  store: Store | undefined;
  dataRoot: string;
  clock: Clock;
  random: Random;
  logger: Logger;
  agent: AgentDeps;
  describe: () => NodeDescription;
  /** Managers: opens sealed secret data (src/ca/secret-box.ts) for the payloads the dispatcher attaches to tasks. */
  secretBox?: SecretSealer | undefined;
  /** Writes renewed certificates to disk (atomically); without it certificates are not renewed. */
  saveCertificates?: (certs: NodeCertificates) => void;
  /** Managers: where the dashboard listens (src/dashboard); absent: no dashboard. */
  dashboard?: DashboardAddress | undefined;
}

const tlsOf = (c: NodeCertificates): RpcTls => ({ certPem: c.nodeCertPem, keyPem: c.nodeKeyPem, caPem: c.rootCertPem });

export class SwarmRuntime {
  private readonly abort = new AbortController();
  private readonly running: Promise<unknown>[] = [];
  private rpc: RpcServer | undefined;
  private dashboard: DashboardServer | undefined;
  /** Managers: `service logs` / `task logs` of every node's tasks (this node's too) go through it. */
  logBroker: LogBroker | undefined;
  private session: AgentSession | undefined;
  /** The certificates in use; renewal replaces them (new connections use the new ones). */
  private certs: NodeCertificates;

  private constructor(private readonly o: SwarmRuntimeOptions) {
    this.certs = o.certs;
  }

  /** Whether the agent has a session with a manager now. */
  get connected(): boolean {
    return this.session?.state === 'connected';
  }

  /** The managers this node's agent dials: a manager first itself, a worker the ones it joined through. */
  private managers(): string[] {
    const { state } = this.o;
    return state.role === 'manager' ? [state.advertiseAddr, ...state.remoteManagers] : [...state.remoteManagers];
  }

  private renewed(certs: NodeCertificates): void {
    this.o.saveCertificates?.(certs);
    this.certs = certs;
    this.rpc?.updateTls(tlsOf(certs));
  }

  static async start(o: SwarmRuntimeOptions): Promise<SwarmRuntime> {
    const rt = new SwarmRuntime(o);
    try {
      await rt.startManager();
      rt.startAgent();
      rt.startRenewal();
    } catch (e) {
      await rt.stop();
      throw e;
    }
    return rt;
  }

  private async startManager(): Promise<void> {
    const { store, clock, random, logger, state, certs } = this.o;
    if (!store) return;
    const [cluster] = await store.view().list('cluster');
    const box = this.o.secretBox;
    const manager = new Manager({
      store,
      clock,
      random,
      logger,
      heartbeatPeriodMs: cluster ? heartbeatPeriodMsOf(cluster.Spec) : 5000,
      ...(box !== undefined ? { openSecret: (stored: string) => box.open(stored) } : {}),
    });
    this.rpc = await startRpcServer({
      listen: state.listenAddr,
      tls: tlsOf(certs),
      routes: [...manager.dispatcher.routes(), ...caRoutes({ store, clock, random }), ...this.startLogBroker(manager)],
      authorize: refuseRemovedNodes(store),
      logger: logger.child({ component: 'rpc' }),
    });
    this.keep(manager.run(this.abort.signal), 'manager');
    const at = this.o.dashboard;
    if (at !== undefined) this.dashboard = await startDashboard({ store, listen: at, clock, logger });
  }

  /** The log broker, fed the dispatcher's sessions; returns its routes. */
  private startLogBroker(manager: Manager): RpcRoute[] {
    const { store, clock, random, logger } = this.o;
    if (!store) return [];
    const d = manager.dispatcher;
    this.logBroker = new LogBroker({
      store,
      clock,
      random,
      logger,
      session: (nodeId, sessionId) => d.liveSession(nodeId, sessionId),
      isConnected: (nodeId) => d.isConnected(nodeId),
    });
    return this.logBroker.routes();
  }

  private startAgent(): void {
    const { clock, logger, state, agent, dataRoot } = this.o;
    const session = new AgentSession({
      managers: this.managers(),
      tls: () => tlsOf(this.certs),
      nodeId: state.nodeId,
      description: this.o.describe,
      clock,
      logger: logger.child({ component: 'agent-session' }),
    });
    const executor = new ContainerExecutor({
      containers: agent.containers,
      images: agent.images,
      clock,
      logger: logger.child({ component: 'executor' }),
      describe: () => {
        const { TLSInfo: _tls, ...d } = this.o.describe();
        return d;
      },
      ...(agent.network !== undefined ? { network: agent.network } : {}),
      ...(agent.drainMs !== undefined ? { drainMs: agent.drainMs } : {}),
    });
    const network = agent.network;
    const log = logger.child({ component: 'network' });
    const worker = new Worker({
      executor,
      reporter: session,
      storeDir: join(dataRoot, 'worker'),
      clock,
      logger: logger.child({ component: 'worker' }),
      ...(network !== undefined
        ? {
            networks: (view: NodeNetworkView) => {
              network.applyView(view, state.nodeId).catch((e: unknown) => log.error({ err: e }, 'applying the network view failed'));
            },
          }
        : {}),
    });
    const signal = this.abort.signal;
    this.session = session;
    this.keep(session.run(signal), 'agent session');
    this.keep(worker.run(signal), 'worker');
    const logs = new LogAgent({ sessions: session, files: containerLogFiles(agent.containers), clock, logger });
    this.keep(logs.run(signal), 'log agent');
    this.keep(
      (async () => {
        for await (const m of session.assignments(signal)) worker.apply(m);
      })(),
      'assignments',
    );
  }

  private startRenewal(): void {
    if (this.o.saveCertificates === undefined) return;
    const renewer = new CertRenewer({
      current: () => this.certs,
      managers: () => this.managers(),
      save: (c) => this.renewed(c),
      clock: this.o.clock,
      logger: this.o.logger,
    });
    this.keep(renewer.run(this.abort.signal), 'certificate renewal');
  }

  private keep(p: Promise<unknown>, what: string): void {
    this.running.push(
      p.catch((e: unknown) => {
        if (!this.abort.signal.aborted) this.o.logger.error({ err: e, what }, 'swarm runtime part failed');
      }),
    );
  }

  /** Stops the agent and the manager (containers keep running; a rejoin adopts them). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.rpc?.close();
    await this.dashboard?.close();
    await Promise.all(this.running);
  }
}
