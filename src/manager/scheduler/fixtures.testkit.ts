/**
 * Builders for the scheduler's and allocator's tests: nodes, services and tasks with only the fields that
 * matter set. Test support only (imported by *.test.ts and the benchmark), never by the components.
 */
import type { TaskStateName } from '../../api/task-state.js';
import type { Endpoint, Node, NodeAvailability, NodeState, PortConfig, Service, Task } from '../../api/types.js';

const T0 = '2024-01-01T00:00:00Z';
export const GiB = 2 ** 30;
export const CPU = 1e9;

export interface NodeOptions {
  hostname?: string;
  role?: 'worker' | 'manager';
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  nanoCPUs?: number;
  memoryBytes?: number;
  state?: NodeState;
  availability?: NodeAvailability;
  arch?: string;
  os?: string;
  version?: number;
}

export function aNode(id: string, o: NodeOptions = {}): Node {
  return {
    ID: id,
    Version: { Index: o.version ?? 1 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: { Labels: o.labels ?? {}, Role: o.role ?? 'worker', Availability: o.availability ?? 'active' },
    Description: {
      Hostname: o.hostname ?? id,
      Platform: { Architecture: o.arch ?? 'x86_64', OS: o.os ?? 'linux' },
      Resources: { NanoCPUs: o.nanoCPUs ?? 4 * CPU, MemoryBytes: o.memoryBytes ?? 8 * GiB },
      Engine: { EngineVersion: 'shoal', Plugins: [], ...(o.engineLabels === undefined ? {} : { Labels: o.engineLabels }) },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    },
    Status: { State: o.state ?? 'ready', Addr: '10.0.0.1' },
  };
}

export interface TaskOptions {
  slot?: number;
  state?: TaskStateName;
  desired?: TaskStateName;
  nodeId?: string;
  nanoCPUs?: number;
  memoryBytes?: number;
  constraints?: string[];
  spread?: string[];
  maxReplicas?: number;
  platforms?: { Architecture?: string; OS?: string }[];
  specVersion?: number | null;
  hostPorts?: number[];
  reportedHostPorts?: number[];
  createdAt?: string;
  err?: string;
}

const hostPort = (p: number): PortConfig => ({ Protocol: 'tcp', TargetPort: 80, PublishedPort: p, PublishMode: 'host' });

export function aTask(id: string, serviceId: string, o: TaskOptions = {}): Task & { Endpoint?: Endpoint } {
  const placement = {
    ...(o.constraints === undefined ? {} : { Constraints: o.constraints }),
    ...(o.spread === undefined ? {} : { Preferences: o.spread.map((d) => ({ Spread: { SpreadDescriptor: d } })) }),
    ...(o.maxReplicas === undefined ? {} : { MaxReplicas: o.maxReplicas }),
    ...(o.platforms === undefined ? {} : { Platforms: o.platforms }),
  };
  const reservations = {
    ...(o.nanoCPUs === undefined ? {} : { NanoCPUs: o.nanoCPUs }),
    ...(o.memoryBytes === undefined ? {} : { MemoryBytes: o.memoryBytes }),
  };
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: o.createdAt ?? T0,
    UpdatedAt: o.createdAt ?? T0,
    Labels: {},
    Spec: {
      ContainerSpec: { Image: 'busybox' },
      Resources: { Reservations: reservations },
      Placement: placement,
    },
    ServiceID: serviceId,
    ...(o.slot === undefined ? {} : { Slot: o.slot }),
    ...(o.nodeId === undefined ? {} : { NodeID: o.nodeId }),
    Status: {
      Timestamp: T0,
      State: o.state ?? 'pending',
      Message: 'pending task scheduling',
      ...(o.err === undefined ? {} : { Err: o.err }),
      ...(o.reportedHostPorts === undefined ? {} : { PortStatus: { Ports: o.reportedHostPorts.map(hostPort) } }),
    },
    DesiredState: o.desired ?? 'running',
    ...(o.specVersion === null ? {} : { SpecVersion: { Index: o.specVersion ?? 1 } }),
    ...(o.hostPorts === undefined ? {} : { Endpoint: { Spec: { Ports: o.hostPorts.map(hostPort) }, Ports: o.hostPorts.map(hostPort) } }),
  };
}

/** `n` tasks `<prefix>.1` ... of one service, slots 1..n. */
export function someTasks(n: number, serviceId: string, o: TaskOptions = {}, prefix = serviceId): (Task & { Endpoint?: Endpoint })[] {
  return Array.from({ length: n }, (_, i) => aTask(`${prefix}.${i + 1}`, serviceId, { slot: i + 1, ...o }));
}

export function aService(id: string, name: string, ports: PortConfig[] = []): Service {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: T0,
    UpdatedAt: T0,
    Spec: {
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
      Mode: { Replicated: { Replicas: 1 } },
      ...(ports.length === 0 ? {} : { EndpointSpec: { Mode: 'vip', Ports: ports } }),
    },
    SpecVersion: { Index: 1 },
  };
}
