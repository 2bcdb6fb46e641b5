/**
 * Registry credentials of services (dockerd's `daemon/cluster/services.go`): the `X-Registry-Auth` header of a
 * service create or update is kept in the spec's `ContainerSpec.PullOptions.RegistryAuth`, so every task made from
 * the spec carries it to its agent, which pulls the image with it. An update without the header keeps the
 * credentials of the current spec (`registryAuthFrom=spec`, the default) or of the previous one (`previous-spec`).
 * The API never shows them: `hideRegistryAuth` takes them out of the specs of services and tasks on the way out.
 * Pure.
 */
import type { ContainerSpec, ServiceSpec, TaskSpec } from '../../api/types.js';

/** The spec with the credentials set (a new object); an empty or absent header changes nothing. */
export function withRegistryAuth(spec: ServiceSpec, registryAuth: string | undefined): ServiceSpec {
  const c = spec.TaskTemplate.ContainerSpec;
  if (c === undefined || registryAuth === undefined || registryAuth === '') return spec;
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...c, PullOptions: { RegistryAuth: registryAuth } } } };
}

/** The credentials an update without the header keeps: those of the current or of the previous spec. */
export function keptRegistryAuth(current: { Spec: ServiceSpec; PreviousSpec?: ServiceSpec }, from: 'spec' | 'previous-spec' | undefined): string | undefined {
  const source = from === 'previous-spec' ? current.PreviousSpec : current.Spec;
  return source?.TaskTemplate.ContainerSpec?.PullOptions?.RegistryAuth;
}

function hiddenContainer(c: ContainerSpec): ContainerSpec {
  const { PullOptions: _hidden, ...rest } = c;
  return rest;
}

/** A task spec without credentials (the same object when it has none). */
export function hideTaskRegistryAuth(t: TaskSpec): TaskSpec {
  const c = t.ContainerSpec;
  if (c?.PullOptions === undefined) return t;
  return { ...t, ContainerSpec: hiddenContainer(c) };
}

/** A service spec without credentials (the same object when it has none). */
export function hideRegistryAuth(spec: ServiceSpec): ServiceSpec {
  const task = hideTaskRegistryAuth(spec.TaskTemplate);
  return task === spec.TaskTemplate ? spec : { ...spec, TaskTemplate: task };
}
