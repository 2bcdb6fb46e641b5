/**
 * The Shoal node: this machine's identity and swarm membership, and the Engine-API backend the server calls.
 * It owns the lifecycle that switches the manager on and off at runtime (init, leave, restart), which is more
 * than static wiring, so it lives here rather than in src/cmd (swarmkit keeps the same role in node/node.go).
 *
 * Invariants: the local state file is written last during init, so a crash mid-init leaves a node that is not
 * in a swarm (and the leftovers are cleared by the next init); lifecycle operations run one at a time.
 */
import { withSwarmNetworks } from './container-networks.js';
import { invalidArgument, messages, unavailable } from '../api/errors.js';
import { defaultSwarmSpec, mergeSwarmSpec, swarmDefaults } from '../api/swarm-spec.js';
import type { Node, NodeDescription, Swarm } from '../api/types.js';
import { createRootCA, formatJoinToken, issueNodeCertificate, newTokenSecret, parseJoinToken, tlsInfo } from '../ca/index.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { Random } from '../lib/random.js';
import type { ControlDeps } from '../manager/controlapi/deps.js';
import { countManagers, getNode, listNodes, refreshOwnNode, removeNode, updateNode } from '../manager/controlapi/nodes.js';
import { checkDataPathPort, getCluster, initCluster, publicSwarm, updateSwarm } from '../manager/controlapi/swarm.js';
import type { ContainerBackend, DistributionBackend, EngineBackend, ImageBackend, NetworkBackend, NodeBackend, SwarmUpdateRequest } from '../server/routes/backend.js';
import { Store } from '../store/core/store.js';
import { openSqliteBackend } from '../store/sqlite/sqlite-backend.js';
import { chooseAdvertiseAddr, hostFacts, resolveAdvertiseAddr, splitHostPort, type HostFacts } from './host-info.js';
import { LocalState, type LocalSwarmState } from './local-state.js';
import { parseInitRequest, parseJoinRequest } from './swarm-request.js';
import { joinCluster } from './join-client.js';
import { API_VERSION, ENGINE_VERSION, GIT_COMMIT, MIN_API_VERSION } from './version.js';
import { serviceBackend, taskBackend } from './service-backend.js';
import { networkBackend } from './network-backend.js';
import { LocalNetworks } from './local-networks.js';
import { listNetworks } from '../manager/controlapi/networks.js';
import { configBackend, secretBackend } from './secret-backend.js';
import { openSecretBox, secretsKeyPath, type SecretBox } from '../ca/secret-box.js';
import { SwarmRuntime, type AgentDeps } from './swarm-runtime.js';
import type { DashboardAddress } from '../dashboard/index.js';
import { volumeBackend } from './volume-backend.js';
import type { VolumeBackend } from '../server/routes/backend.js';
import { Filters } from '../api/filters.js';
import type { ConfigBackend, SecretBackend, ServiceBackend, TaskBackend } from '../server/routes/backend.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DaemonOptions {
  dataRoot: string;
  execRoot: string;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Overrides the OS hostname (labs run several nodes on one machine). */
  hostname?: string;
  debug?: boolean;
  /** The single-host container and image APIs (the agent's runtime, built by the composition root). */
  containers: ContainerBackend;
  images: ImageBackend;
  /** Container counts for `/info`. */
  containerCounts: () => { total: number; running: number; paused: number; stopped: number };
  imageCount: () => Promise<number>;
  /** `GET /distribution/{name}/json`: the registries' view of an image (absent: every lookup is an immediate 404). */
  distribution?: DistributionBackend;
  /** What the agent runs tasks with. */
  agent: AgentDeps;
  /** Where a manager serves the dashboard (`--dashboard-addr`); absent: no dashboard. */
  dashboard?: DashboardAddress | undefined;
}

const DEFAULT_SWARM_PORT = 2377;
/** Any port: a data path address is an IP, but the address parser wants a default. */
const DATA_PATH_PORT = 4789;
/** How long `swarm join` waits for the new node's first session before it returns anyway. */
const JOIN_SESSION_WAIT_MS = 10_000;

/** What a worker answers for every call on cluster state (docker's words; HTTP 503). */
export const WORKER_NOT_MANAGER =
  "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.";

/** The API view of a node: never the internal `DataPathAddr`. */
function publicNode(n: Node): Node {
  const { DataPathAddr: _internal, ...shown } = n;
  return shown;
}

function openFileCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

export class Daemon implements EngineBackend {
  private state: LocalSwarmState | undefined;
  private store: Store | undefined;
  private readonly local: LocalState;
  private readonly host: HostFacts;
  private readonly log: Logger;
  private lifecycle: Promise<unknown> = Promise.resolve();

  readonly containers: ContainerBackend;
  readonly images: ImageBackend;
  readonly services: ServiceBackend;
  readonly networks: NetworkBackend;
  readonly tasks: TaskBackend;
  readonly volumes: VolumeBackend;
  readonly secrets: SecretBackend;
  readonly configs: ConfigBackend;
  readonly distribution?: DistributionBackend;
  /** This manager's secrets key, opened for the store it seals into (a new swarm gets a new key file). */
  private box: { store: Store; box: SecretBox } | undefined;
  private runtime: SwarmRuntime | undefined;
  /** The node's local bridge networks (`<data-root>/networks/`), with or without a swarm. */
  readonly localNetworks: LocalNetworks;

  constructor(private readonly opts: DaemonOptions) {
    this.localNetworks = new LocalNetworks({
      dir: join(opts.dataRoot, 'networks'),
      clock: opts.clock,
      random: opts.random,
      logger: opts.logger,
      ...(opts.agent.network ? { host: opts.agent.network } : {}),
      swarmNetworks: async () => (this.store ? listNetworks(this.deps()) : []),
    });
    // `docker run --network` on an attachable swarm network: the manager gives the container its address.
    this.containers = withSwarmNetworks(opts.containers, {
      deps: () => this.deps(),
      nodeId: () => this.state?.nodeId,
      containers: opts.agent.containers,
      clock: opts.clock,
      logger: opts.logger,
      local: this.localNetworks,
    });
    this.images = opts.images;
    if (opts.distribution !== undefined) this.distribution = opts.distribution;
    this.services = serviceBackend(() => this.deps(), () => this.runtime?.logBroker);
    this.networks = networkBackend(() => this.deps(), this.localNetworks);
    this.tasks = taskBackend(() => this.deps(), () => this.runtime?.logBroker);
    this.volumes = volumeBackend(opts.agent.containers.volumes);
    this.secrets = secretBackend(() => ({ ...this.deps(), secretBox: this.secretBox() }));
    this.configs = configBackend(() => this.deps());
    this.local = new LocalState(opts.dataRoot);
    this.host = hostFacts(opts.hostname);
    this.log = opts.logger.child({ component: 'daemon' });
  }

  /** Resumes swarm membership from disk after a restart (a crash included). */
  async start(): Promise<void> {
    // Bridges and DNS of the local networks again (after a reboot they are gone from the kernel).
    if (this.localNetworks.size > 0) await this.localNetworks.sync().catch((e: unknown) => this.log.error({ err: e }, 'wiring the local networks failed'));
    const state = this.local.read();
    if (!state) {
      this.log.info('not part of a swarm');
      return;
    }
    this.state = state;
    if (state.role === 'manager') {
      this.store = new Store(openSqliteBackend(join(this.local.storeDir, 'state.db')));
      const certs = this.local.readCertificates();
      await refreshOwnNode(this.deps(), state.nodeId, this.description(tlsInfo(certs.rootCertPem)), this.nodeAddr(state));
    }
    await this.startRuntime(state);
    this.log.info({ nodeId: state.nodeId, role: state.role }, 'resumed swarm membership');
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      await this.runtime?.stop();
      this.runtime = undefined;
      await this.store?.close();
      this.store = undefined;
    });
  }

  // ------------------------------------------------------------------ helpers

  /** Starts the manager (when this node is one) and the agent, and waits until this node reports ready. */
  private async startRuntime(state: LocalSwarmState): Promise<void> {
    const certs = this.local.readCertificates();
    const tls = tlsInfo(certs.rootCertPem);
    this.runtime = await SwarmRuntime.start({
      state,
      certs,
      store: this.store,
      dataRoot: this.opts.dataRoot,
      clock: this.opts.clock,
      random: this.opts.random,
      logger: this.opts.logger,
      agent: this.opts.agent,
      describe: () => this.description(tls),
      secretBox: this.store ? this.secretBox() : undefined,
      saveCertificates: (c) => this.local.writeCertificates(c),
      dashboard: this.opts.dashboard,
    });
    if (!this.store) return;
    const deadline = this.opts.clock.now() + 10_000;
    while (this.opts.clock.now() < deadline) {
      const node = await this.store.view().get('nodes', state.nodeId);
      if (node?.Status.State === 'ready') return;
      await this.opts.clock.sleep(20);
    }
    this.log.warn({ nodeId: state.nodeId }, 'the agent has not reported ready yet');
  }

  /** Runs lifecycle operations one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lifecycle.then(fn, fn);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  /** Why this node cannot serve a call on cluster state: not in a swarm, or a worker. */
  private notManager(): Error {
    return unavailable('swarm.not_manager', this.state ? WORKER_NOT_MANAGER : messages.notManager);
  }

  private deps(): ControlDeps {
    if (!this.store) throw this.notManager();
    return {
      store: this.store,
      clock: this.opts.clock,
      random: this.opts.random,
      pki: { newTokenSecret: () => newTokenSecret(this.opts.random), formatJoinToken, tlsInfo },
    };
  }

  /** The secrets key in `<data-root>/swarm/secrets.key`, made on first use (managers only). */
  private secretBox(): SecretBox {
    if (!this.store) throw this.notManager();
    if (this.box?.store !== this.store) this.box = { store: this.store, box: openSecretBox(secretsKeyPath(this.local.swarmDir)) };
    return this.box.box;
  }

  private nodeAddr(state: LocalSwarmState): string {
    return splitHostPort(state.advertiseAddr, DEFAULT_SWARM_PORT).host;
  }

  private description(tls: NodeDescription['TLSInfo']): NodeDescription {
    return {
      Hostname: this.host.hostname,
      Platform: { Architecture: this.host.arch, OS: this.host.os },
      Resources: { NanoCPUs: this.host.ncpu * 1e9, MemoryBytes: this.host.memTotal },
      Engine: {
        EngineVersion: ENGINE_VERSION,
        Plugins: [
          { Type: 'Log', Name: 'json-file' },
          { Type: 'Network', Name: 'bridge' },
          { Type: 'Network', Name: 'host' },
          { Type: 'Network', Name: 'null' },
          { Type: 'Network', Name: 'overlay' },
          { Type: 'Volume', Name: 'local' },
        ],
      },
      TLSInfo: tls,
    };
  }

  // ------------------------------------------------------------------ system

  swarmHeader(): string {
    if (!this.state) return 'inactive';
    return this.state.role === 'manager' ? 'active/manager' : 'active/worker';
  }

  systemVersion(): Record<string, unknown> {
    const details = {
      ApiVersion: API_VERSION,
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      BuildTime: '',
      Experimental: 'false',
      GitCommit: GIT_COMMIT,
      GoVersion: `node${process.versions.node}`,
      KernelVersion: this.host.kernelVersion,
      MinAPIVersion: MIN_API_VERSION,
      Os: 'linux',
    };
    return {
      Platform: { Name: 'Shoal Engine' },
      Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: details }],
      Version: ENGINE_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: GIT_COMMIT,
      GoVersion: details.GoVersion,
      Os: 'linux',
      Arch: details.Arch,
      KernelVersion: this.host.kernelVersion,
      BuildTime: '',
    };
  }

  async systemInfo(): Promise<Record<string, unknown>> {
    const counts = this.opts.containerCounts();
    return {
      ID: this.state?.nodeId ?? '',
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: await this.opts.imageCount(),
      Driver: 'overlay2',
      DriverStatus: [],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null', 'overlay'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true,
      SwapLimit: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: this.opts.debug ?? false,
      NFd: openFileCount(),
      NGoroutines: 0,
      SystemTime: new Date(this.opts.clock.now()).toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: '1',
      NEventsListener: 0,
      KernelVersion: this.host.kernelVersion,
      OperatingSystem: this.host.operatingSystem,
      OSVersion: '',
      OSType: 'linux',
      Architecture: this.host.arch,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: this.host.ncpu,
      MemTotal: this.host.memTotal,
      GenericResources: null,
      DockerRootDir: this.opts.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: this.host.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: await this.swarmInfo(),
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'tini',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: [],
      Warnings: [],
    };
  }

  private async swarmInfo(): Promise<Record<string, unknown>> {
    const state = this.state;
    const base = {
      NodeID: state?.nodeId ?? '',
      NodeAddr: state ? this.nodeAddr(state) : '',
      LocalNodeState: state ? 'active' : 'inactive',
      ControlAvailable: state?.role === 'manager' && this.store !== undefined,
      Error: '',
      RemoteManagers: null as unknown,
    };
    if (state && !this.store) {
      return { ...base, RemoteManagers: state.remoteManagers.map((addr) => ({ NodeID: '', Addr: addr })) };
    }
    if (!state || !this.store) return base;
    try {
      const deps = this.deps();
      const nodes = await listNodes(deps, undefined);
      const managers = nodes.filter((n) => n.ManagerStatus);
      const cluster = publicSwarm(await getCluster(deps));
      const { JoinTokens: _tokens, ...clusterInfo } = cluster;
      return {
        ...base,
        RemoteManagers: managers.map((n) => ({ NodeID: n.ID, Addr: n.ManagerStatus?.Addr ?? '' })),
        Nodes: nodes.length,
        Managers: managers.length,
        Cluster: clusterInfo,
      };
    } catch (e) {
      this.log.error({ err: e }, 'reading swarm info failed');
      return { ...base, LocalNodeState: 'error', Error: e instanceof Error ? e.message : String(e) };
    }
  }

  // ------------------------------------------------------------------ swarm

  swarmInit(request: unknown): Promise<string> {
    return this.serial(async () => {
      if (this.state) throw unavailable('swarm.exists', messages.alreadyInSwarm);
      const req = parseInitRequest(request);
      // Validate the whole spec before any key is made or any file written.
      const spec = mergeSwarmSpec(defaultSwarmSpec(), req.spec);
      const listen = splitHostPort(req.listenAddr, DEFAULT_SWARM_PORT);
      checkDataPathPort(req.dataPathPort, listen.port);
      const dataPathAddr = req.dataPathAddr ? resolveAdvertiseAddr(req.dataPathAddr, DATA_PATH_PORT).host : undefined;
      const advertise = req.advertiseAddr
        ? resolveAdvertiseAddr(req.advertiseAddr, listen.port)
        : { host: chooseAdvertiseAddr(listen.host), port: listen.port };
      const now = this.opts.clock.now();
      const nodeId = newId(this.opts.random);
      const clusterId = newId(this.opts.random);
      const rootCA = await createRootCA({ now });
      const nodeCert = await issueNodeCertificate({
        ca: rootCA,
        nodeId,
        role: 'manager',
        clusterId,
        now,
        expiryMs: (spec.CAConfig.NodeCertExpiry ?? swarmDefaults.nodeCertExpiry) / 1e6,
      });
      const state: LocalSwarmState = {
        nodeId,
        clusterId,
        role: 'manager',
        listenAddr: `${listen.host}:${listen.port}`,
        advertiseAddr: `${advertise.host}:${advertise.port}`,
        remoteManagers: [],
      };
      this.local.clearSwarm();
      this.local.prepareDirs();
      const store = new Store(openSqliteBackend(join(this.local.storeDir, 'state.db')));
      try {
        this.store = store;
        await initCluster(this.deps(), {
          clusterId,
          nodeId,
          rootCA,
          spec,
          description: this.description(tlsInfo(rootCA.certPem)),
          advertiseAddr: state.advertiseAddr,
          nodeAddr: advertise.host,
          ...(req.defaultAddrPool ? { defaultAddrPool: req.defaultAddrPool } : {}),
          ...(req.subnetSize ? { subnetSize: req.subnetSize } : {}),
          ...(req.dataPathPort ? { dataPathPort: req.dataPathPort } : {}),
          listenPort: listen.port,
          ...(dataPathAddr !== undefined ? { dataPathAddr } : {}),
          ...(req.availability ? { availability: req.availability } : {}),
        });
        this.local.writeCertificates({ rootCertPem: rootCA.certPem, nodeCertPem: nodeCert.certPem, nodeKeyPem: nodeCert.keyPem ?? '' });
        this.local.write(state);
      } catch (e) {
        this.store = undefined;
        await store.close().catch(() => undefined);
        this.local.clearSwarm();
        throw e;
      }
      this.state = state;
      this.log.info({ nodeId, clusterId }, 'swarm initialized');
      await this.startRuntime(state);
      return nodeId;
    });
  }

  /**
   * `POST /swarm/join` (docs/design/cluster.md "Joining"): checks everything it can locally, gets this node's
   * certificate from the manager (./join-client.ts), then writes the certificates and, last, the state file, and
   * starts the agent. A failure before the state file leaves nothing behind.
   */
  swarmJoin(request: unknown): Promise<void> {
    return this.serial(async () => {
      if (this.state) throw unavailable('swarm.exists', messages.alreadyInSwarm);
      const req = parseJoinRequest(request);
      parseJoinToken(req.joinToken);
      const listen = splitHostPort(req.listenAddr, DEFAULT_SWARM_PORT);
      const given = req.advertiseAddr ? resolveAdvertiseAddr(req.advertiseAddr, listen.port) : undefined;
      const dataPathAddr = req.dataPathAddr ? resolveAdvertiseAddr(req.dataPathAddr, DATA_PATH_PORT).host : undefined;
      const remote = splitHostPort(req.remoteAddrs[0] ?? '', DEFAULT_SWARM_PORT);
      const address = remote.host.includes(':') ? `[${remote.host}]:${remote.port}` : `${remote.host}:${remote.port}`;
      const joined = await joinCluster({
        address,
        token: req.joinToken,
        hostname: this.host.hostname,
        ...(req.availability ? { availability: req.availability } : {}),
        ...(given ? { advertiseAddr: given.host } : {}),
        ...(dataPathAddr !== undefined ? { dataPathAddr } : {}),
        clock: this.opts.clock,
        logger: this.opts.logger,
      });
      const advertiseHost = given?.host ?? joined.localAddress ?? chooseAdvertiseAddr(listen.host);
      const state: LocalSwarmState = {
        nodeId: joined.nodeId,
        clusterId: joined.clusterId,
        role: joined.role,
        listenAddr: `${listen.host}:${listen.port}`,
        advertiseAddr: `${advertiseHost}:${given?.port ?? listen.port}`,
        remoteManagers: [...new Set([address, ...joined.managers])],
      };
      this.local.clearSwarm();
      try {
        this.local.writeCertificates({ rootCertPem: joined.rootCertPem, nodeCertPem: joined.nodeCertPem, nodeKeyPem: joined.nodeKeyPem });
        this.local.write(state);
      } catch (e) {
        this.local.clearSwarm();
        throw e;
      }
      this.state = state;
      this.log.info({ nodeId: state.nodeId, manager: address }, 'joined the swarm as a worker');
      await this.startRuntime(state);
      const deadline = this.opts.clock.now() + JOIN_SESSION_WAIT_MS;
      while (this.runtime?.connected !== true && this.opts.clock.now() < deadline) await this.opts.clock.sleep(20);
      if (this.runtime?.connected !== true) this.log.warn({ nodeId: state.nodeId }, 'no session with a manager yet; the agent keeps trying');
    });
  }

  swarmLeave(force: boolean): Promise<void> {
    return this.serial(async () => {
      const state = this.state;
      if (!state) throw unavailable('swarm.not_in_swarm', 'This node is not part of a swarm');
      if (state.role === 'manager' && !force) {
        const { managers, reachable } = await countManagers(this.deps());
        if (managers <= 1) {
          throw unavailable(
            'swarm.leave_last_manager',
            'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.',
          );
        }
        throw unavailable(
          'swarm.leave_manager',
          `You are attempting to leave the swarm on a node that is participating as a manager. Removing this node leaves ${reachable - 1} managers out of ${managers}. Without a Raft quorum your swarm will be inaccessible. The only way to restore a swarm that has lost consensus is to reinitialize it with \`--force-new-cluster\`. Use \`--force\` to suppress this message.`,
        );
      }
      await this.runtime?.stop();
      this.runtime = undefined;
      // Like docker, leaving the swarm ends this node's tasks.
      const svc = this.opts.agent.containers;
      for (const c of svc.list({ all: true, filters: Filters.of({ label: ['com.docker.swarm.task.id'] }) })) {
        await svc.remove(c.Id, { force: true }).catch((e: unknown) => this.log.warn({ err: e, id: c.Id }, 'removing a task container failed'));
      }
      // The swarm's networks go with it: bridges, the node ruleset, DNS listeners, port reservations; local networks stay.
      const leaving = this.localNetworks.size > 0 ? this.opts.agent.network?.applyView({ networks: [] }, state.nodeId) : this.opts.agent.network?.teardown();
      await leaving?.catch((e: unknown) => this.log.warn({ err: e }, 'tearing down the networks failed'));
      await this.store?.close();
      this.store = undefined;
      this.state = undefined;
      this.local.clearSwarm();
      this.log.info({ nodeId: state.nodeId }, 'left the swarm');
    });
  }

  async swarmInspect(): Promise<Swarm> {
    return publicSwarm(await getCluster(this.deps()));
  }

  async swarmUpdate(request: SwarmUpdateRequest): Promise<void> {
    if (request.rotateManagerUnlockKey) {
      throw invalidArgument('swarm.autolock_unsupported', 'autolock is not supported by this version of Shoal');
    }
    await updateSwarm(this.deps(), request);
  }

  async swarmUnlockKey(): Promise<{ UnlockKey: string }> {
    const cluster = await getCluster(this.deps());
    return { UnlockKey: cluster.UnlockKey };
  }

  // ------------------------------------------------------------------ nodes

  /** `self` names this node, as the docker CLI's `node update self` expects the daemon to resolve it. */
  private nodeRef(ref: string): string {
    return ref === 'self' && this.state ? this.state.nodeId : ref;
  }

  readonly nodes: NodeBackend = {
    list: async (filters: Filters): Promise<Node[]> => (await listNodes(this.deps(), filters)).map(publicNode),
    inspect: async (ref: string): Promise<Node> => publicNode(await getNode(this.deps(), this.nodeRef(ref))),
    update: async (ref: string, version: number, spec: unknown): Promise<void> => {
      await updateNode(this.deps(), this.nodeRef(ref), version, spec);
    },
    remove: async (ref: string, force: boolean): Promise<void> => {
      await removeNode(this.deps(), this.nodeRef(ref), force, this.state?.nodeId ?? '');
    },
  };
}

