/** Minimal stored objects for the store's tests: only what the store looks at (IDs and names) is meaningful. */
import type { Cluster, Network, Node, Secret, Service, Task } from '../../src/api/types.js';

const T0 = '2024-01-01T00:00:00Z';

const meta = (id: string): { ID: string; Version: { Index: number }; CreatedAt: string; UpdatedAt: string } => ({
  ID: id,
  Version: { Index: 0 },
  CreatedAt: T0,
  UpdatedAt: T0,
});

export function aService(id: string, name: string, replicas = 1): Service {
  return {
    ...meta(id),
    Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Mode: { Replicated: { Replicas: replicas } } },
  };
}

export function aSecret(id: string, name: string): Secret {
  return { ...meta(id), Spec: { Name: name, Data: 'c2VjcmV0' } };
}

export function aNetwork(id: string, name: string): Network {
  return {
    Name: name,
    Id: id,
    Created: T0,
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

export function aNode(id: string, hostname: string): Node {
  return {
    ...meta(id),
    Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
    Description: {
      Hostname: hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 31 },
      Engine: { EngineVersion: 'shoal', Plugins: [] },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    },
    Status: { State: 'ready', Addr: '10.0.0.1' },
  };
}

export function aTask(id: string, serviceId: string, slot: number): Task {
  return {
    ...meta(id),
    Labels: {},
    Spec: { ContainerSpec: { Image: 'busybox' } },
    ServiceID: serviceId,
    Slot: slot,
    Status: { Timestamp: T0, State: 'new', Message: 'created' },
    DesiredState: 'running',
  };
}

export function aCluster(id: string): Cluster {
  return {
    ...meta(id),
    Spec: {
      Name: 'default',
      Labels: {},
      Orchestration: {},
      Raft: { ElectionTick: 10, HeartbeatTick: 1 },
      Dispatcher: {},
      CAConfig: {},
      TaskDefaults: {},
      EncryptionConfig: { AutoLockManagers: false },
    },
    TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    RootRotationInProgress: false,
    DefaultAddrPool: ['10.0.0.0/8'],
    SubnetSize: 24,
    DataPathPort: 4789,
    JoinTokens: { Worker: '', Manager: '' },
    RootCAKey: '',
    TokenSecrets: { Worker: '', Manager: '' },
    UnlockKey: '',
  };
}
