/**
 * Single-host containers: docker's container model (names, images, Config + HostConfig, state, health, logs,
 * exec) on top of the Runtime port and the ImageStore. Swarm tasks will run their containers through this same
 * service, so `docker ps` shows them as docker does.
 *
 * Invariants:
 * - A record is saved before the runtime is touched and after every state change, so a daemon killed at any point
 *   restarts into a consistent view; `load()` adopts what the runtime still runs and records what exited meanwhile.
 * - A failed create or start leaves no runtime container, mount or cgroup behind (the runtime's create is
 *   all-or-nothing; a failed start deletes the runtime container).
 * - Names are unique; a name is taken from create until the container is removed.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerCreateRequest, ContainerInspect, ContainerSummary, HostConfig } from '../../api/container.js';
import type { ShoalError } from '../../api/errors.js';
import { conflict, invalidArgument, notFound } from '../../api/errors.js';
import type { Filters } from '../../api/filters.js';
import { endpointExists } from '../../api/local-network.js';
import { rfc3339Nano, type Clock } from '../../lib/clock.js';
import { newHexId } from '../../lib/ids.js';
import { macForIp, parseIp } from '../../lib/cidr.js';
import type { Logger } from '../../lib/logger.js';
import type { Random } from '../../lib/random.js';
import type { AttachStreams, ExitStatus, Runtime } from '../exec/runtime.js';
import type { HostPortMapping, NetworkHost, Sandbox, SandboxEndpoint } from '../exec/network.js';
import { noSuchImage, parseAnyReference } from '../runtime/images/index.js';
import type { ImageRecord, ImageStore, ImageUse } from '../runtime/images/store-port.js';
import { normalizedHostConfig, parseSignal, validateCreateRequest } from './create-request.js';
import { effectiveHealthcheck, runHealthchecks } from './health.js';
import { mountPoints, planMounts, type PlannedMount } from './mounts.js';
import { canonicalName, generateName, isValidName } from './names.js';
import { RecordStore, type ContainerRecord } from './record-store.js';
import { buildRuntimeSpec, commandLine, mergeEnv } from './runtime-spec.js';
import { DEFAULT_STOP_TIMEOUT_S } from './sizes.js';
import { statusText } from './status-text.js';
import { TaskFiles, type TaskFile } from './task-files.js';
import { VolumeStore, type VolumeUse } from '../volumes/index.js';

export interface ContainerServiceOptions {
  root: string;
  volumesRoot: string;
  runtime: Runtime;
  images: ImageStore;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Capabilities for a container: docker's defaults + add − drop (or all when privileged); throws on unknown names. */
  capabilities: (add: readonly string[], drop: readonly string[], privileged: boolean) => string[];
  initBinary: string | undefined;
  swapLimitSupported: boolean;
  /** The host's resolv.conf content for containers. */
  resolvConf: () => string;
  /** Wires containers onto swarm networks (docs/design/networking.md); without it, containers get loopback only. */
  network?: NetworkHost;
  /** The volume store (default: one over `volumesRoot`). */
  volumes?: VolumeStore;
  /** Where task files (secrets, configs) get their tmpfs: `<execRoot>/secrets/<id>` (default: the parent of `root`). */
  execRoot?: string;
}

/** Create options that are not part of the Engine API body. */
export interface CreateOptions {
  /** A swarm task's secrets and configs (src/agent/containers/task-files.ts); never saved in the record. */
  files?: readonly TaskFile[];
  /** The networks to attach (in order: eth0 first) and host-mode published ports: a sandbox is made for them. */
  network?: { endpoints: SandboxEndpoint[]; hostPorts: HostPortMapping[] };
  /**
   * The same, decided once the container has its ID (a plain container on a swarm network gets its address for
   * that ID from the manager). Called during create; when create then fails, the caller gives the address back.
   */
  networkFor?: (containerId: string, name: string) => Promise<{ endpoints: SandboxEndpoint[]; hostPorts: HostPortMapping[] }>;
}

const volumeUses = (mounts: readonly PlannedMount[]): VolumeUse[] =>
  mounts.flatMap((m) => (m.kind === 'volume' ? [{ name: m.name, anonymous: m.anonymous, driver: m.driver, options: m.options, labels: m.labels }] : []));

export const LIST_FILTERS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health', 'network', 'volume', 'is-task'] as const;

interface Live {
  rec: ContainerRecord;
  /** Aborts the monitor and healthcheck of the current run. */
  run?: AbortController;
  exitWaiters: Set<(s: { code: number; error?: string }) => void>;
  /** Attach requests made before start: served between the runtime's create and start, so no output is lost. */
  pendingAttach: { resolve: (a: AttachStreams) => void; reject: (e: unknown) => void }[];
  /** The latest attach session: `resize` of the container's console goes through it. */
  console?: AttachStreams;
  removeWaiters: Set<() => void>;
  stopping: boolean;
  restartCount: number;
}

/** Go's zero time, docker's StartedAt/FinishedAt of a container that never ran. */
const NEVER = '0001-01-01T00:00:00Z';

const noSuchContainer = (ref: string): ShoalError => notFound('container.not_found', `No such container: ${ref}`);

export class ContainerService {
  private readonly records: RecordStore;
  private readonly live = new Map<string, Live>();
  private readonly log: Logger;
  private closed = false;
  /** Named and anonymous volumes (docker's `/volumes` API is served from here too). */
  readonly volumes: VolumeStore;
  private readonly taskFiles: TaskFiles;

  private readonly removedListeners = new Set<(c: ContainerInspect) => void>();

  /** Calls `f` with each container's last inspect once it is removed (by any path: rm, `--rm`, a task removal). */
  onRemoved(f: (c: ContainerInspect) => void): void {
    this.removedListeners.add(f);
  }

  constructor(private readonly o: ContainerServiceOptions) {
    this.records = new RecordStore(o.root, o.logger);
    this.log = o.logger.child({ component: 'containers' });
    mkdirSync(o.volumesRoot, { recursive: true, mode: 0o711 });
    this.volumes = o.volumes ?? new VolumeStore({ root: o.volumesRoot, clock: o.clock, random: o.random, logger: o.logger });
    this.taskFiles = new TaskFiles({ root: join(o.execRoot ?? dirname(o.root), 'secrets'), logger: o.logger });
  }

  // ------------------------------------------------------------------ lookup

  private find(ref: string): Live {
    const byId = this.live.get(ref);
    if (byId) return byId;
    const name = canonicalName(ref);
    for (const l of this.live.values()) if (l.rec.inspect.Name === name) return l;
    const byPrefix = [...this.live.values()].filter((l) => l.rec.inspect.Id.startsWith(ref));
    if (ref !== '' && byPrefix.length === 1) return byPrefix[0] as Live;
    if (byPrefix.length > 1) throw invalidArgument('container.ambiguous', `multiple IDs found with provided prefix: ${ref}`);
    throw noSuchContainer(ref);
  }

  private nameTaken(name: string): Live | undefined {
    for (const l of this.live.values()) if (l.rec.inspect.Name === name) return l;
    return undefined;
  }

  private volumeDir = (name: string): string => this.volumes.dataDir(name);

  /** Which container uses the image (a running one first), for image removal's conflict messages. */
  imageInUse(imageId: string): ImageUse | undefined {
    let stopped: ImageUse | undefined;
    for (const l of this.live.values()) {
      if (l.rec.inspect.Image !== imageId) continue;
      if (l.rec.inspect.State.Running) return { containerId: l.rec.inspect.Id, running: true };
      stopped ??= { containerId: l.rec.inspect.Id, running: false };
    }
    return stopped;
  }

  private save(l: Live): void {
    this.records.save(l.rec);
  }

  // ------------------------------------------------------------------ adoption

  /**
   * Loads the records and reconciles them with the runtime: running ones are monitored again; exits that happened
   * meanwhile are recorded and handled as the monitor would have (restart policy, AutoRemove).
   */
  async load(): Promise<void> {
    const states = new Map((await this.o.runtime.list()).map((s) => [s.id, s]));
    for (const rec of this.records.loadAll()) {
      const l: Live = { rec, exitWaiters: new Set(), pendingAttach: [], removeWaiters: new Set(), stopping: false, restartCount: rec.inspect.RestartCount };
      this.live.set(rec.inspect.Id, l);
      const st = states.get(rec.inspect.Id);
      try {
        this.volumes.reference(rec.inspect.Id, volumeUses(rec.mounts));
        if (st?.status === 'running') this.volumes.markActive(rec.inspect.Id);
      } catch (e) {
        this.log.warn({ id: rec.inspect.Id, err: e instanceof Error ? e.message : String(e) }, 'the volumes of a container could not be referenced');
      }
      const s = rec.inspect.State;
      if (st?.status === 'running') {
        s.Status = 'running';
        s.Running = true;
        s.Pid = st.pid ?? s.Pid;
        s.Restarting = false;
        this.monitor(l);
        this.log.info({ id: rec.inspect.Id, name: rec.inspect.Name }, 'adopted running container');
      } else if (s.Running || s.Restarting) {
        // It exited while the daemon was down, or was waiting to be restarted: record the exit, then apply the
        // restart policy and AutoRemove as the monitor would have (docker's restore does too); onExit saves.
        const exit = st ? await this.o.runtime.wait(rec.inspect.Id).catch(() => undefined) : undefined;
        const run = new AbortController();
        l.run = run;
        this.onExit(l, run, exit ?? { exitCode: 255, oomKilled: false, finishedAt: this.o.clock.now() }, exit ? '' : 'container disappeared from the runtime while the daemon was down');
        continue;
      }
      this.save(l);
    }
    await this.volumes.settle();
    await this.taskFiles.cleanup(new Set(this.live.keys()));
  }

  // ------------------------------------------------------------------ create

  async create(body: unknown, requestedName: string | undefined, opts: CreateOptions = {}): Promise<{ Id: string; Warnings: string[] }> {
    const req: ContainerCreateRequest = validateCreateRequest(body);
    let name: string;
    if (requestedName !== undefined && requestedName !== '') {
      if (!isValidName(requestedName)) {
        throw invalidArgument('container.name_invalid', `Invalid container name (${requestedName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      }
      name = canonicalName(requestedName);
    } else {
      name = canonicalName(generateName(this.o.random, (n) => this.nameTaken(n) !== undefined));
    }
    const holder = this.nameTaken(name);
    if (holder) {
      throw conflict(
        'container.name_conflict',
        `Conflict. The container name "${name}" is already in use by container "${holder.rec.inspect.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const image = await this.o.images.resolve(req.Image);
    if (!image) throw noSuchImage(parseAnyReference(req.Image));
    const hc: HostConfig = normalizedHostConfig(req.HostConfig);
    // Validate everything the start will need, now, so a bad request fails before anything exists.
    this.o.capabilities(hc.CapAdd ?? [], hc.CapDrop ?? [], hc.Privileged === true);
    for (const [k] of Object.entries(hc.Sysctls ?? {})) if (k === '') throw invalidArgument('container.sysctl_invalid', 'invalid sysctl: empty name');
    if (req.StopSignal) parseSignal(req.StopSignal);
    const mounts = planMounts(hc, () => newHexId(this.o.random));
    // `docker run -v /path` reaches the API as Config.Volumes: an anonymous volume unless something is mounted there.
    for (const target of Object.keys(req.Volumes ?? {})) {
      if (!target.startsWith('/')) throw invalidArgument('container.mount_invalid', `invalid volume specification: '${target}': mount path must be absolute`);
      if (!mounts.some((m) => m.target === target)) mounts.push({ kind: 'volume', name: newHexId(this.o.random), anonymous: true, target, readonly: false });
    }
    for (const m of mounts) {
      if (m.kind === 'bind' && !m.create && !existsSync(m.source)) {
        throw invalidArgument('container.bind_source_missing', `invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      }
    }
    if (hc.Init === true && !this.o.initBinary) throw invalidArgument('container.init_missing', 'docker-init binary not found: install tini to use --init');
    this.volumes.check(volumeUses(mounts));
    const files = opts.files ?? [];
    for (const f of files) if (mounts.some((m) => m.target === f.target)) throw invalidArgument('container.mount_invalid', `Duplicate mount point: ${f.target}`);

    const id = newHexId(this.o.random);
    const now = rfc3339Nano(this.o.clock.now());
    const cfg = image.config;
    const args = commandLine(req, cfg);
    if (args.length === 0) throw invalidArgument('container.no_command', 'No command specified');
    const hostname = req.Hostname || id.slice(0, 12);
    const env = mergeEnv(cfg.Env, req.Env);
    if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${hostname}`);
    if (req.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
    const dir = this.records.dir(id);
    const health = effectiveHealthcheck(req.Healthcheck, cfg.Healthcheck);
    const inspect: ContainerInspect = {
      Id: id,
      Created: now,
      Path: args[0] as string,
      Args: args.slice(1),
      State: {
        Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
      },
      Image: image.id,
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      LogPath: join(dir, 'container.log'),
      Name: name,
      RestartCount: 0,
      Driver: 'overlay',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: null,
      HostConfig: hc,
      GraphDriver: { Name: 'overlay', Data: null },
      Mounts: mountPoints(mounts, this.volumeDir),
      Config: {
        Hostname: hostname,
        Domainname: req.Domainname ?? '',
        User: req.User ?? '',
        AttachStdin: req.AttachStdin ?? false,
        AttachStdout: req.AttachStdout ?? false,
        AttachStderr: req.AttachStderr ?? false,
        Tty: req.Tty ?? false,
        OpenStdin: req.OpenStdin ?? false,
        StdinOnce: req.StdinOnce ?? false,
        Env: env,
        Cmd: req.Cmd ?? (req.Entrypoint ? null : (cfg.Cmd ?? null)),
        Image: req.Image,
        Volumes: req.Volumes ?? null,
        WorkingDir: req.WorkingDir || cfg.WorkingDir || '',
        Entrypoint: req.Entrypoint ?? cfg.Entrypoint ?? null,
        Labels: { ...(cfg.Labels ?? {}), ...(req.Labels ?? {}) },
        ...(req.StopSignal || cfg.StopSignal ? { StopSignal: req.StopSignal || cfg.StopSignal } : {}),
        ...(typeof req.StopTimeout === 'number' ? { StopTimeout: req.StopTimeout } : {}),
        ...(health ? { Healthcheck: health } : {}),
      },
      NetworkSettings: { Networks: {}, Ports: {}, SandboxKey: '' },
    };
    const l: Live = { rec: { inspect, mounts }, exitWaiters: new Set(), pendingAttach: [], removeWaiters: new Set(), stopping: false, restartCount: 0 };
    try {
      this.volumes.reference(id, volumeUses(mounts));
      for (const f of await this.taskFiles.write(id, files)) {
        mounts.push({ kind: 'bind', source: f.source, target: f.target, readonly: true, propagation: 'rprivate', create: false });
      }
      mkdirSync(dir, { recursive: true, mode: 0o710 });
      const sandbox = await this.wireNetwork(l, hostname, opts.networkFor !== undefined ? await opts.networkFor(id, name.replace(/^\//, '')) : opts.network);
      writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
      this.writeNetworkFiles(inspect, hostname, sandbox);
      this.live.set(id, l);
      this.save(l);
    } catch (e) {
      this.live.delete(id);
      this.records.remove(id);
      if (l.rec.network !== undefined) await this.o.network?.removeSandbox(id).catch(() => undefined);
      await this.taskFiles.remove(id).catch(() => undefined);
      await this.volumes.release(id, { removeAnonymous: true }).catch(() => undefined);
      throw e;
    }
    this.log.info({ id, name, image: req.Image }, 'container created');
    return { Id: id, Warnings: [] };
  }

  /**
   * Gives back the network sandbox of a container that is not running (its addresses and host ports): a task that
   * ends before it ever started must not keep its address on the bridge once the manager hands it to another task.
   * A later start wires it again.
   */
  async releaseNetwork(ref: string): Promise<void> {
    const l = this.find(ref);
    if (l.rec.network === undefined || l.rec.inspect.State.Running) return;
    await this.o.network?.removeSandbox(l.rec.inspect.Id);
  }

  /**
   * `docker network connect` of a container to one more network, its address already reserved by the caller.
   * Docker's rules: a container already on the network is refused while it runs (`endpoint with name X already
   * exists in network Y`) and left as it is otherwise ('already'); a container in another one's (or the host's)
   * network mode is refused. A live sandbox (a created container with networks, or a running one) gets the
   * interface at once; a running container without one has its own netns taken over, and its resolv.conf and hosts
   * switch to the embedded DNS (as docker's do); a stopped one gets it at its next start.
   */
  async connectNetwork(ref: string, endpoint: SandboxEndpoint): Promise<'connected' | 'already'> {
    if (this.connectable(ref, endpoint.network) === 'already') return 'already';
    const l = this.find(ref);
    const c = l.rec.inspect;
    const host = this.o.network;
    if (host === undefined) throw invalidArgument('container.network_unavailable', 'this node has no container networking');
    const net = l.rec.network;
    const hostname = c.Config.Hostname || c.Id.slice(0, 12);
    const sandbox = await host.connectSandbox(c.Id, endpoint, c.State.Running ? { pid: c.State.Pid, hostname } : undefined);
    const hadNone = net === undefined || net.endpoints.length === 0;
    if (net === undefined) l.rec.network = { netnsPath: sandbox?.netnsPath ?? '', endpoints: [endpoint], hostPorts: [] };
    else {
      net.endpoints.push(endpoint);
      if (sandbox !== undefined) net.netnsPath = sandbox.netnsPath;
    }
    // A live container that was on no network: its name resolution moves to the embedded DNS now.
    if (sandbox !== undefined && hadNone) this.writeNetworkFiles(c, hostname, sandbox);
    this.renderNetworkSettings(l);
    this.save(l);
    this.log.info({ id: c.Id, network: endpoint.network.name, address: endpoint.address, live: sandbox !== undefined }, 'container connected to a network');
    return 'connected';
  }

  /**
   * What `connectNetwork` would say, before the caller reserves an address: throws docker's refusals (network mode,
   * a container being removed, a running container already on the network, no container networking on this node);
   * 'already' when the (not running) container is on the network, so there is nothing to do.
   */
  connectable(ref: string, network: { id: string; name: string }): 'connect' | 'already' {
    const l = this.find(ref);
    const c = l.rec.inspect;
    checkNetworkMode(c);
    if (c.State.Status === 'removing' || c.State.Status === 'dead') throw conflict('container.removing', `container ${c.Id} is marked for removal and cannot be connected to a network`);
    if (this.o.network === undefined) throw invalidArgument('container.network_unavailable', 'this node has no container networking');
    if (l.rec.network?.endpoints.some((e) => e.network.id === network.id)) {
      if (c.State.Running) throw endpointExists(c.Name.replace(/^\//, ''), network.name);
      return 'already';
    }
    return 'connect';
  }

  /**
   * `docker network disconnect`: the endpoint on `networkId` goes from the record and, when live, from the sandbox.
   * Returns it (its address is the caller's to give back), or undefined when the container is not on the network.
   * A container that is not running and has no network left gives its sandbox back (host ports included).
   */
  async disconnectNetwork(ref: string, networkId: string): Promise<SandboxEndpoint | undefined> {
    const l = this.find(ref);
    const c = l.rec.inspect;
    const net = l.rec.network;
    const k = net?.endpoints.findIndex((e) => e.network.id === networkId) ?? -1;
    if (net === undefined || k < 0) return undefined;
    await this.o.network?.disconnectSandbox(c.Id, networkId);
    const [gone] = net.endpoints.splice(k, 1);
    if (net.endpoints.length === 0 && !c.State.Running) {
      await this.o.network?.removeSandbox(c.Id);
      net.netnsPath = '';
    }
    this.renderNetworkSettings(l);
    this.save(l);
    this.log.info({ id: c.Id, network: gone?.network.name }, 'container disconnected from a network');
    return gone;
  }

  /** docker's NetworkSettings from the record's endpoints (no network and no sandbox: none at all). */
  private renderNetworkSettings(l: Live): void {
    const net = l.rec.network;
    l.rec.inspect.NetworkSettings =
      net === undefined || (net.endpoints.length === 0 && net.netnsPath === '') ? { Networks: {}, Ports: {}, SandboxKey: '' } : networkSettings(net.netnsPath, net.endpoints, net.hostPorts);
  }

  /** /etc/hosts and /etc/resolv.conf of a container with a sandbox (rewritten in place: a running one sees them). */
  private writeNetworkFiles(c: ContainerInspect, hostname: string, sandbox: Sandbox | undefined): void {
    const hostLines = sandbox?.hostsEntries ?? [`127.0.1.1\t${hostname}`];
    writeFileSync(c.HostsPath, `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${hostLines.join('\n')}\n`);
    writeFileSync(c.ResolvConfPath, sandbox?.resolvConf ?? this.o.resolvConf());
  }

  /** Makes the container's network sandbox and records it with docker's NetworkSettings; undefined without networks. */
  private async wireNetwork(l: Live, hostname: string, want: CreateOptions['network']): Promise<Sandbox | undefined> {
    if (want === undefined || (want.endpoints.length === 0 && want.hostPorts.length === 0)) return undefined;
    const host = this.o.network;
    if (host === undefined) throw invalidArgument('container.network_unavailable', 'this node has no container networking');
    const c = l.rec.inspect;
    const sandbox = await host.createSandbox({ containerId: c.Id, hostname, endpoints: want.endpoints, hostPorts: want.hostPorts });
    l.rec.network = { netnsPath: sandbox.netnsPath, endpoints: want.endpoints, hostPorts: want.hostPorts };
    c.NetworkSettings = networkSettings(sandbox.netnsPath, want.endpoints, want.hostPorts);
    return sandbox;
  }

  // ------------------------------------------------------------------ start and run

  async start(ref: string): Promise<'started' | 'already-running'> {
    const l = this.find(ref);
    const s = l.rec.inspect.State;
    if (s.Running) return 'already-running';
    if (s.Status === 'removing' || s.Status === 'dead') throw conflict('container.removing', `container ${l.rec.inspect.Id} is marked for removal and cannot be started`);
    // A manual start resets the restart policy's count, as docker's ResetRestartManager does.
    l.restartCount = 0;
    l.rec.inspect.RestartCount = 0;
    await this.startRun(l);
    return 'started';
  }

  private async startRun(l: Live): Promise<void> {
    const c = l.rec.inspect;
    const image: ImageRecord | undefined = await this.o.images.resolve(c.Image);
    if (!image) throw notFound('image.not_found', `No such image: ${c.Config.Image}`);
    for (const m of l.rec.mounts) {
      if (m.kind === 'bind' && m.create && !existsSync(m.source)) mkdirSync(m.source, { recursive: true });
    }
    const hc = c.HostConfig;
    const net = l.rec.network;
    let record: ContainerRecord = l.rec;
    if (net !== undefined && net.endpoints.length > 0) {
      // Made at create; given back at each exit: make it again (the same addresses) for this run. The networks may
      // have changed meanwhile (`docker network connect/disconnect`): hosts and resolv.conf follow, as docker's do.
      const host = this.o.network;
      if (host === undefined) throw invalidArgument('container.network_unavailable', 'this node has no container networking');
      const hostname = c.Config.Hostname || c.Id.slice(0, 12);
      const sandbox = await host.createSandbox({ containerId: c.Id, hostname, endpoints: net.endpoints, hostPorts: net.hostPorts });
      net.netnsPath = sandbox.netnsPath;
      this.writeNetworkFiles(c, hostname, sandbox);
      this.renderNetworkSettings(l);
    } else if (net !== undefined) {
      // Disconnected from every network: this run has loopback only, in a netns of its own.
      net.netnsPath = '';
      this.writeNetworkFiles(c, c.Config.Hostname || c.Id.slice(0, 12), undefined);
      this.renderNetworkSettings(l);
      record = { inspect: l.rec.inspect, mounts: l.rec.mounts };
    }
    const spec = buildRuntimeSpec({
      record,
      image: image.config,
      layers: this.o.images.layerDirs(image),
      containerDir: this.records.dir(c.Id),
      volumeDir: this.volumeDir,
      capabilities: this.o.capabilities(hc.CapAdd ?? [], hc.CapDrop ?? [], hc.Privileged === true),
      initBinary: this.o.initBinary,
      swapLimitSupported: this.o.swapLimitSupported,
    });
    await this.o.runtime.delete(c.Id, { force: true });
    // Mounts tmpfs and bind volumes at their _data (a no-op for plain ones); undone when the run ends.
    await this.volumes.activate(c.Id);
    try {
      // Inside the try: the runtime's create is where a missing command fails (runc execs it), and docker records that.
      await this.o.runtime.create(spec, { stdin: c.Config.OpenStdin === true });
      for (const p of l.pendingAttach.splice(0)) {
        await this.o.runtime.attach(c.Id).then((a) => p.resolve((l.console = a)), p.reject);
      }
      await this.o.runtime.start(c.Id);
    } catch (e) {
      await this.o.runtime.delete(c.Id, { force: true }).catch(() => undefined);
      await this.volumes.deactivate(c.Id).catch(() => undefined);
      c.State.Error = e instanceof Error ? e.message : String(e);
      c.State.ExitCode = 128;
      this.save(l);
      throw e;
    }
    const st = await this.o.runtime.state(c.Id);
    const now = this.o.clock.now();
    Object.assign(c.State, {
      Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: st?.pid ?? 0, ExitCode: 0, Error: '', StartedAt: rfc3339Nano(st?.startedAt ?? now),
    });
    delete c.State.Health;
    l.stopping = false;
    this.save(l);
    this.monitor(l);
    this.log.info({ id: c.Id, pid: c.State.Pid }, 'container started');
  }

  /** Waits for the current run to end, and runs its healthchecks meanwhile. */
  private monitor(l: Live): void {
    l.run?.abort();
    const run = new AbortController();
    l.run = run;
    const c = l.rec.inspect;
    const check = c.Config.Healthcheck as (NonNullable<ContainerInspect['Config']['Healthcheck']> & { Test: string[] }) | undefined;
    if (check?.Test && check.Test.length > 0 && check.Test[0] !== 'NONE') {
      void runHealthchecks({
        containerId: c.Id,
        check,
        runtime: this.o.runtime,
        clock: this.o.clock,
        logger: this.log,
        signal: run.signal,
        startedAt: Date.parse(c.State.StartedAt),
        onChange: (h) => {
          if (!c.State.Running) return;
          c.State.Health = h;
          this.save(l);
        },
      }).catch((e: unknown) => this.log.error({ id: c.Id, err: e }, 'healthcheck loop failed'));
    }
    this.o.runtime.wait(c.Id, run.signal).then(
      (exit) => this.onExit(l, run, exit),
      (e: unknown) => {
        if (!run.signal.aborted) this.log.error({ id: c.Id, err: e }, 'waiting for container failed');
      },
    );
  }

  private recordExit(l: Live, exit: ExitStatus, error = ''): void {
    Object.assign(l.rec.inspect.State, {
      Status: 'exited', Running: false, Restarting: false, Pid: 0, ExitCode: exit.exitCode, OOMKilled: exit.oomKilled,
      Error: error, FinishedAt: rfc3339Nano(exit.finishedAt),
    });
    if (l.rec.inspect.State.Health) l.rec.inspect.State.Health = { ...l.rec.inspect.State.Health, Status: 'unhealthy' };
  }

  private onExit(l: Live, run: AbortController, exit: ExitStatus, error = ''): void {
    if (l.run !== run || this.closed) return;
    run.abort();
    const c = l.rec.inspect;
    this.recordExit(l, exit, error);
    if (c.State.Health) delete c.State.Health;
    this.save(l);
    void this.volumes.deactivate(c.Id).catch((e: unknown) => this.log.warn({ id: c.Id, err: e }, 'unmounting volumes failed'));
    // Like docker, a stopped container gives back its network (addresses stay recorded; host ports are freed) before
    // anyone waiting on the exit hears of it: the network host runs its changes in order.
    if (l.rec.network !== undefined) void this.o.network?.removeSandbox(c.Id).catch((e: unknown) => this.log.warn({ id: c.Id, err: e }, 'removing the network sandbox failed'));
    this.log.info({ id: c.Id, exitCode: exit.exitCode, oomKilled: exit.oomKilled }, 'container exited');
    for (const w of l.exitWaiters) w({ code: exit.exitCode });
    l.exitWaiters.clear();
    const policy = c.HostConfig.RestartPolicy?.Name ?? 'no';
    const max = c.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
    const restart =
      !l.stopping &&
      (policy === 'always' || policy === 'unless-stopped' || (policy === 'on-failure' && exit.exitCode !== 0 && (max === 0 || l.restartCount < max)));
    if (c.HostConfig.AutoRemove && !restart) {
      void this.remove(c.Id, { force: true, volumes: true }).catch((e: unknown) => this.log.error({ id: c.Id, err: e }, 'auto-remove failed'));
      return;
    }
    if (restart) {
      l.restartCount++;
      c.RestartCount = l.restartCount;
      c.State.Restarting = true;
      c.State.Status = 'restarting';
      this.save(l);
      const delayMs = Math.min(100 * 2 ** Math.min(l.restartCount - 1, 10), 60_000);
      void this.o.clock
        .sleep(delayMs)
        .then(() => (c.State.Restarting && !this.closed ? this.startRun(l) : undefined))
        .catch((e: unknown) => {
          c.State.Restarting = false;
          c.State.Status = 'exited';
          c.State.Error = e instanceof Error ? e.message : String(e);
          this.save(l);
        });
    }
  }

  // ------------------------------------------------------------------ stop, kill, wait, remove

  /** Stop signal, then SIGKILL after the grace period. Returns 'not-running' when there was nothing to stop (304). */
  async stop(ref: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<'stopped' | 'not-running'> {
    const l = this.find(ref);
    const c = l.rec.inspect;
    if (c.State.Restarting) {
      c.State.Restarting = false;
      c.State.Status = 'exited';
      l.stopping = true;
      this.save(l);
      return 'stopped';
    }
    if (!c.State.Running) return 'not-running';
    l.stopping = true;
    const signal = parseSignal(opts.signal || c.Config.StopSignal || 'SIGTERM');
    const timeoutS = opts.timeoutS ?? c.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT_S;
    const exited = this.nextExit(l);
    await this.o.runtime.kill(c.Id, signal).catch(() => undefined);
    const timer = new AbortController();
    const timedOut = timeoutS < 0 ? new Promise<never>(() => undefined) : this.o.clock.sleep(timeoutS * 1000, timer.signal).then(() => true, () => false);
    const first = await Promise.race([exited.then(() => false), timedOut]);
    timer.abort();
    if (first) {
      this.log.info({ id: c.Id, timeoutS }, 'container did not stop in time; killing it');
      await this.o.runtime.kill(c.Id, 'SIGKILL').catch(() => undefined);
      await exited;
    }
    return 'stopped';
  }

  private nextExit(l: Live): Promise<{ code: number; error?: string }> {
    return new Promise((resolve) => l.exitWaiters.add(resolve));
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const l = this.find(ref);
    const sig = parseSignal(signal);
    const c = l.rec.inspect;
    if (!c.State.Running) throw conflict('container.not_running', `Cannot kill container: ${ref}: Container ${c.Id} is not running`);
    if (sig === 'SIGKILL' || sig === '9') l.stopping = true;
    await this.o.runtime.kill(c.Id, sig);
  }

  /** docker's `wait` conditions: not-running (default), next-exit, removed. */
  async wait(ref: string, condition: string, signal?: AbortSignal): Promise<{ StatusCode: number; Error?: { Message: string } }> {
    const l = this.find(ref);
    const c = l.rec.inspect;
    if (!['', 'not-running', 'next-exit', 'removed'].includes(condition)) {
      throw invalidArgument('container.wait_condition', `invalid condition: "${condition}"`);
    }
    const abortable = <T>(p: Promise<T>): Promise<T> =>
      signal ? Promise.race([p, new Promise<never>((_, rej) => signal.addEventListener('abort', () => rej(signal.reason as Error), { once: true }))]) : p;
    if (condition === 'removed') {
      await abortable(new Promise<void>((resolve) => l.removeWaiters.add(resolve)));
      return { StatusCode: c.State.ExitCode };
    }
    if ((condition === '' || condition === 'not-running') && !c.State.Running && !c.State.Restarting) return { StatusCode: c.State.ExitCode };
    const r = await abortable(this.nextExit(l));
    return r.error ? { StatusCode: r.code, Error: { Message: r.error } } : { StatusCode: r.code };
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const l = this.find(ref);
    const c = l.rec.inspect;
    if ((c.State.Running || c.State.Restarting) && !opts.force) {
      throw conflict('container.running', `cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`);
    }
    l.stopping = true;
    c.State.Restarting = false;
    if (c.State.Running) {
      const exited = this.nextExit(l);
      await this.o.runtime.kill(c.Id, 'SIGKILL').catch(() => undefined);
      await exited;
    }
    l.run?.abort();
    await this.o.runtime.delete(c.Id, { force: true });
    await this.volumes.release(c.Id, { removeAnonymous: opts.volumes === true });
    await this.taskFiles.remove(c.Id);
    if (l.rec.network !== undefined) await this.o.network?.removeSandbox(c.Id);
    for (const p of l.pendingAttach.splice(0)) p.reject(noSuchContainer(c.Id));
    this.records.remove(c.Id);
    for (const f of this.removedListeners) f(c);
    this.live.delete(c.Id);
    for (const w of l.removeWaiters) w();
    this.log.info({ id: c.Id, name: c.Name }, 'container removed');
  }

  // ------------------------------------------------------------------ read

  inspect(ref: string): ContainerInspect {
    const l = this.find(ref);
    return { ...l.rec.inspect, ExecIDs: l.rec.inspect.ExecIDs };
  }

  list(opts: { all: boolean; filters: Filters; limit?: number }): ContainerSummary[] {
    const f = opts.filters;
    f.validate(LIST_FILTERS);
    const now = this.o.clock.now();
    const rows = [...this.live.values()]
      .map((l) => l.rec.inspect)
      // docker: a restarting container counts as running, and a limit (`ps -n`, `-l`) includes stopped ones.
      .filter((c) => opts.all || c.State.Running || c.State.Restarting || (opts.limit ?? 0) > 0 || f.has('status') || f.has('exited'))
      .filter(
        (c) =>
          f.matchPrefix('id', c.Id) &&
          (!f.has('name') || f.values('name').some((n) => c.Name.slice(1).includes(n.replace(/^\//, '')))) &&
          f.matchLabels(c.Config.Labels ?? {}) &&
          f.matchExact('status', c.State.Status) &&
          (!f.has('exited') || (!c.State.Running && c.State.StartedAt !== NEVER && f.values('exited').includes(String(c.State.ExitCode)))) &&
          (!f.has('health') || f.values('health').includes(c.State.Health?.Status ?? 'none')) &&
          (!f.has('ancestor') || f.values('ancestor').some((a) => a === c.Config.Image || c.Image.includes(a))),
      )
      .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
    const limited = opts.limit && opts.limit > 0 ? rows.slice(0, opts.limit) : rows;
    return limited.map((c) => ({
      Id: c.Id,
      Names: [c.Name],
      Image: c.Config.Image,
      ImageID: c.Image,
      Command: [c.Path, ...c.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
      Created: Math.floor(Date.parse(c.Created) / 1000),
      Ports: [],
      Labels: c.Config.Labels ?? {},
      State: c.State.Status,
      Status: statusText(c, now),
      HostConfig: { NetworkMode: c.HostConfig.NetworkMode ?? 'none' },
      NetworkSettings: { Networks: {} },
      Mounts: c.Mounts,
    }));
  }

  /** The log file of a container (conmon's k8s-file format), and whether it is still running. */
  logSource(ref: string): { path: string; running: () => boolean; tty: boolean; id: string; exited: () => Promise<unknown> } {
    const l = this.find(ref);
    const c = l.rec.inspect;
    return {
      id: c.Id,
      path: c.LogPath,
      tty: c.Config.Tty === true,
      running: () => c.State.Running || c.State.Restarting,
      exited: () => (c.State.Running ? this.nextExit(l) : Promise.resolve()),
    };
  }

  /** For attach: the runtime's console streams of a running container. */
  async attach(ref: string): Promise<AttachStreams> {
    const l = this.find(ref);
    const s = l.rec.inspect.State;
    if (s.Running) return (l.console = await this.o.runtime.attach(l.rec.inspect.Id));
    if (s.Status === 'created' || s.Status === 'exited') {
      // docker attaches before it starts (`run`, `start -a`): hand the streams over when the next run begins.
      return new Promise<AttachStreams>((resolve, reject) => l.pendingAttach.push({ resolve, reject }));
    }
    throw conflict('container.not_running', 'You cannot attach to a stopped container, start it first');
  }

  /** `POST /containers/{id}/resize`: the console of a TTY container, through its attach session. */
  resize(ref: string, rows: number, cols: number): void {
    const l = this.find(ref);
    if (!l.rec.inspect.State.Running) throw conflict('container.not_running', `Container ${l.rec.inspect.Id} is not running`);
    if (rows > 0 && cols > 0) l.console?.resize(rows, cols);
  }

  runtimeFor(ref: string): { id: string; running: boolean; config: ContainerInspect['Config']; record: ContainerInspect } {
    const l = this.find(ref);
    return { id: l.rec.inspect.Id, running: l.rec.inspect.State.Running, config: l.rec.inspect.Config, record: l.rec.inspect };
  }

  addExecId(ref: string, execId: string, add: boolean): void {
    const l = this.find(ref);
    const ids = new Set(l.rec.inspect.ExecIDs ?? []);
    if (add) ids.add(execId);
    else ids.delete(execId);
    l.rec.inspect.ExecIDs = ids.size > 0 ? [...ids] : null;
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    for (const l of this.live.values()) if (l.rec.inspect.State.Running) running++;
    return { total: this.live.size, running, paused: 0, stopped: this.live.size - running };
  }

  /** Stops monitoring (containers keep running: they outlive the daemon). */
  close(): void {
    this.closed = true;
    for (const l of this.live.values()) l.run?.abort();
  }
}

/** The host resolv.conf, with loopback nameservers dropped (they mean nothing inside a container's namespace). */
export function hostResolvConf(path = '/etc/resolv.conf'): string {
  try {
    if (!statSync(path).isFile()) return '';
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
    return lines.join('\n');
  } catch {
    return '';
  }
}

/** docker's refusals of a connect for a container that shares another's network namespace (or the host's). */
function checkNetworkMode(c: ContainerInspect): void {
  const mode = c.HostConfig.NetworkMode ?? '';
  if (mode === 'host') throw invalidArgument('container.network_mode', 'container cannot be disconnected from host network or connected to host network');
  if (mode.startsWith('container:')) {
    throw invalidArgument('container.network_mode', 'container sharing network namespace with another container or host cannot be connected to any other network');
  }
}

/** docker's NetworkSettings for a container on swarm networks. */
function networkSettings(netnsPath: string, endpoints: readonly SandboxEndpoint[], hostPorts: readonly HostPortMapping[]): ContainerInspect['NetworkSettings'] {
  const networks: Record<string, unknown> = {};
  for (const e of endpoints) {
    const [ip = '', len = '0'] = e.address.split('/');
    networks[e.network.name] = {
      IPAMConfig: { IPv4Address: ip },
      Links: null,
      Aliases: e.aliases.length > 0 ? e.aliases : null,
      MacAddress: macForIp(parseIp(ip) ?? 0),
      NetworkID: e.network.id,
      EndpointID: '',
      Gateway: e.network.gateway,
      IPAddress: ip,
      IPPrefixLen: Number(len),
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DriverOpts: null,
      DNSNames: null,
    };
  }
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of hostPorts) ports[`${p.target}/${p.protocol}`] = [{ HostIp: '0.0.0.0', HostPort: String(p.published) }];
  return { Networks: networks, Ports: ports, SandboxKey: netnsPath };
}
