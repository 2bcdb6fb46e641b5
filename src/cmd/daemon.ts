/**
 * `shoal daemon`: the composition root of a node. Builds the logger, the daemon and the Engine-API server,
 * and shuts them down on SIGINT/SIGTERM. Several daemons can run side by side with different roots and sockets.
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync } from 'node:fs';
import { destination, pino } from 'pino';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExecRegistry } from '../agent/containers/execs.js';
import { ContainerService, hostResolvConf } from '../agent/containers/service.js';
import { DnsServer } from '../agent/dns/server.js';
import { buildTable } from '../agent/dns/zone.js';
import { HostNetwork } from '../agent/network/host-network.js';
import { netnsPrefixFor } from '../agent/network/names.js';
import { openImageStore } from '../agent/runtime/images/index.js';
import { inspectDistribution, REGISTRY_LOOKUPS, type RegistryLookup } from '../agent/runtime/images/distribution.js';
import { DEFAULT_CAPABILITIES, tweakCapabilities } from '../agent/runtime/oci/index.js';
import { createRuncRuntime, readHostInfo } from '../agent/runtime/runc/index.js';
import { containerBackend, imageBackend } from '../daemon/container-backend.js';
import { Daemon } from '../daemon/daemon.js';
import { ENGINE_VERSION } from '../daemon/version.js';
import { systemClock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { cryptoRandom } from '../lib/random-crypto.js';
import { engineRouter } from '../server/routes/index.js';
import { startApiServer } from '../server/server.js';
import { DEFAULT_DASHBOARD_ADDR, parseDashboardAddr, type DashboardAddress } from '../dashboard/index.js';

export interface DaemonFlags {
  host: string[];
  dataRoot: string;
  execRoot: string;
  logLevel: string;
  hostname?: string;
  cgroupParent: string;
  /** Upstream resolvers of the embedded DNS (`ip[:port]`); empty: the host's resolv.conf. */
  dnsUpstream: string[];
  /** Which registries `GET /distribution/{name}/json` may ask (the CLI's digest pinning). */
  registryLookup: RegistryLookup;
  /** Where a manager serves the dashboard; undefined: `--dashboard-addr off`. */
  dashboard: DashboardAddress | undefined;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];

export function parseDaemonArgs(argv: string[]): DaemonFlags {
  const cmd = new Command('shoal daemon')
    .description('Run a Shoal node: the Engine API, and the manager and agent once in a swarm')
    .option('-H, --host <address>', 'Daemon socket(s) to listen on (repeatable; unix:///path or tcp://host:port)', (v: string, p: string[] = []) => [...p, v])
    .option('--data-root <dir>', 'Root directory of persistent state', '/var/lib/shoal')
    .option('--exec-root <dir>', 'Root directory of execution state (sockets, pid files)', '/run/shoal')
    .option('-l, --log-level <level>', 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")', (v: string) => {
      if (!LEVELS.includes(v)) throw new InvalidArgumentError(`must be one of ${LEVELS.join(', ')}`);
      return v;
    }, 'info')
    .option('--hostname <name>', 'Hostname this node reports (default: the OS hostname)')
    .option('--cgroup-parent <name>', 'Parent cgroup of containers, in every controller', 'shoal')
    .option('--dns-upstream <ip[:port]>', 'Where the embedded DNS forwards names it does not own (repeatable; default: the nameservers of /etc/resolv.conf)', (v: string, p: string[] = []) => [...p, v])
    .option('--registry-lookup <scope>', 'Registries asked for image digests when services are created or updated ("all"|"loopback"|"none")', (v: string) => {
      if (!(REGISTRY_LOOKUPS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${REGISTRY_LOOKUPS.join(', ')}`);
      return v;
    }, 'all')
    .option('--dashboard-addr <host:port>', 'Where a manager serves the web dashboard ("off" or "" disables it)', (v: string) => {
      try {
        parseDashboardAddr(v);
        return v;
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    }, DEFAULT_DASHBOARD_ADDR)
    .allowExcessArguments(false);
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ host?: string[]; dataRoot: string; execRoot: string; logLevel: string; hostname?: string; cgroupParent: string; dnsUpstream?: string[]; registryLookup: RegistryLookup; dashboardAddr: string }>();
  return {
    host: o.host && o.host.length > 0 ? o.host : [`unix://${o.execRoot}/docker.sock`],
    dataRoot: o.dataRoot,
    execRoot: o.execRoot,
    logLevel: o.logLevel,
    cgroupParent: o.cgroupParent,
    dnsUpstream: o.dnsUpstream ?? [],
    registryLookup: o.registryLookup,
    dashboard: parseDashboardAddr(o.dashboardAddr),
    ...(o.hostname ? { hostname: o.hostname } : {}),
  };
}

export async function runDaemon(argv: string[]): Promise<void> {
  const flags = parseDaemonArgs(argv);
  const logger = pino({ level: flags.logLevel, base: { pid: process.pid } }, destination(2)) as unknown as Logger;
  mkdirSync(flags.dataRoot, { recursive: true, mode: 0o711 });
  mkdirSync(flags.execRoot, { recursive: true, mode: 0o711 });

  // The agent's single-host runtime: images, runc under conmon, containers.
  const host = await readHostInfo();
  const runtime = await createRuncRuntime({ stateDir: join(flags.execRoot, 'runtime'), cgroupParent: flags.cgroupParent, logger: logger.child({ component: 'runtime' }), host });
  const images = await openImageStore({ root: join(flags.dataRoot, 'images'), logger: logger.child({ component: 'images' }) });
  // Container networking (docs/design/networking.md): one DNS server and one node ruleset for the daemon.
  const dns = new DnsServer({ logger, random: cryptoRandom, ...(flags.dnsUpstream.length > 0 ? { upstreams: flags.dnsUpstream } : {}) });
  const netnsPrefix = netnsPrefixFor(flags.execRoot);
  const network = new HostNetwork({
    execRoot: flags.execRoot,
    // `shl-abc123-` → `shoal-abc123`: one node table per daemon, so daemons side by side never share one.
    nodeTable: `shoal-${netnsPrefix.slice(4, -1)}`,
    netnsPrefix,
    logger: logger.child({ component: 'network' }),
    dns: {
      setZones: (zones) => {
        const tables = new Map(zones.map((z) => [z.entry.network.Id, buildTable(z.entry)]));
        return dns.setZones(
          zones.map((z) => {
            const table = tables.get(z.entry.network.Id) ?? buildTable(z.entry);
            if (z.also === undefined) return { listen: z.listen, table };
            const also = new Map([...z.also].map(([source, ids]) => [source, ids.flatMap((id) => tables.get(id) ?? [])]));
            return { listen: z.listen, table, also };
          }),
        );
      },
      close: () => dns.close(),
    },
  });
  const containers = new ContainerService({
    root: join(flags.dataRoot, 'containers'),
    volumesRoot: join(flags.dataRoot, 'volumes'),
    runtime,
    images,
    clock: systemClock,
    random: cryptoRandom,
    logger,
    capabilities: (add, drop, privileged) => tweakCapabilities(DEFAULT_CAPABILITIES, add, drop, privileged, host.oci.capabilities ? { available: host.oci.capabilities } : {}),
    // Statically linked: the container's root may have no libc at all.
    initBinary: ['/usr/bin/tini-static', '/usr/bin/docker-init'].find((p) => existsSync(p)),
    swapLimitSupported: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    resolvConf: () => hostResolvConf(),
    network,
  });
  await containers.load();
  const execs = new ExecRegistry(containers, runtime, cryptoRandom, async (ref) => {
    const img = await images.resolve(containers.inspect(ref).Image);
    return img ? images.layerDirs(img) : [];
  });
  const tmp = join(flags.dataRoot, 'tmp');
  mkdirSync(tmp, { recursive: true, mode: 0o700 });

  const daemon = new Daemon({
    containers: containerBackend(containers, execs),
    images: imageBackend(images, containers, tmp),
    containerCounts: () => containers.counts(),
    agent: { containers, images, network },
    imageCount: async () => (await images.list()).length,
    distribution: {
      inspect: (image, registryAuth, signal) => inspectDistribution(image, { scope: flags.registryLookup, registryAuth, signal, log: logger.child({ component: 'distribution' }) }),
    },
    dataRoot: flags.dataRoot,
    execRoot: flags.execRoot,
    clock: systemClock,
    random: cryptoRandom,
    logger,
    debug: flags.logLevel === 'debug',
    dashboard: flags.dashboard,
    ...(flags.hostname ? { hostname: flags.hostname } : {}),
  });
  await daemon.start();
  const server = await startApiServer({
    router: engineRouter(daemon),
    logger,
    engineVersion: ENGINE_VERSION,
    swarmHeader: () => daemon.swarmHeader(),
    listen: flags.host,
  });
  logger.info({ listen: server.addresses, dataRoot: flags.dataRoot, version: ENGINE_VERSION }, 'API listening');

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  containers.close();
  await daemon.close();
  await network.close();
  runtime.close();
}
