/** Builders for the allocator's tests (test support only): services with ports, NEW tasks. */
import type { TaskStateName } from '../../api/task-state.js';
import type { PortConfig, Service, Task } from '../../api/types.js';

const T0 = '2024-01-01T00:00:00Z';

export const ingress = (target: number, published?: number, protocol: 'tcp' | 'udp' = 'tcp'): PortConfig => ({
  Protocol: protocol,
  TargetPort: target,
  ...(published === undefined ? {} : { PublishedPort: published }),
  PublishMode: 'ingress',
});

export const host = (target: number, published?: number): PortConfig => ({
  Protocol: 'tcp',
  TargetPort: target,
  ...(published === undefined ? {} : { PublishedPort: published }),
  PublishMode: 'host',
});

export function aService(id: string, name: string, ports?: PortConfig[], createdAt = T0): Service {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: createdAt,
    UpdatedAt: createdAt,
    Spec: {
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
      Mode: { Replicated: { Replicas: 1 } },
      ...(ports === undefined ? {} : { EndpointSpec: { Mode: 'vip', Ports: ports } }),
    },
    Endpoint: ports === undefined || ports.length === 0 ? { Spec: {} } : { Spec: { Mode: 'vip', Ports: ports } },
    SpecVersion: { Index: 1 },
  };
}

export function aTask(id: string, serviceId: string, o: { state?: TaskStateName; desired?: TaskStateName; createdAt?: string } = {}): Task {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: o.createdAt ?? T0,
    UpdatedAt: o.createdAt ?? T0,
    Labels: {},
    Spec: { ContainerSpec: { Image: 'busybox' } },
    ServiceID: serviceId,
    Slot: 1,
    Status: { Timestamp: T0, State: o.state ?? 'new', Message: 'created' },
    DesiredState: o.desired ?? 'running',
    SpecVersion: { Index: 1 },
  };
}
