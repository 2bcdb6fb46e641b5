/**
 * OCI bundle configuration: turns the runtime port's ContainerSpec into the `config.json` runc reads, the way
 * docker would for the same container.
 *
 * Owns: docker's defaults (kernel mounts, masked and read-only paths, device cgroup rules, namespaces, the
 * default capability set), capability names and their validation, namespaced-sysctl rules, rlimit clamping to
 * the host's hard limits, and cgroup v1 resources.
 *
 * Invariants:
 * - Pure. Nothing here touches the filesystem or the clock; what the host offers (rlimits, bounding set, oom
 *   floor) is passed in as `OciHost`, read once by the adapter (src/agent/runtime/runc/host-info.ts).
 * - Every refusal is an InvalidArgument ShoalError whose message is docker's (or runc's) wording.
 * - No seccomp profile is written: docker's default profile is an allow-list of ~400 syscalls that cannot be
 *   written here cleanly without copying it; containers run with the capability set, masked paths and
 *   no-new-privileges as their confinement.
 */
export {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  capabilitiesFromMask,
  capabilityBit,
  capabilityMask,
  normalizeCapabilities,
  tweakCapabilities,
  validateCapabilities,
} from './capabilities.js';
export type { CapabilityHost } from './capabilities.js';
export {
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_BYTES,
  defaultDeviceRules,
  defaultMounts,
  defaultNamespaces,
} from './defaults.js';
export {
  MIN_MEMORY_BYTES,
  capabilitySets,
  execProcessSpec,
  generateOciSpec,
  processSpec,
  resources,
  serializeOciSpec,
  validateContainerId,
} from './generate.js';
export type { GenerateOptions, OciHost } from './generate.js';
export { mergeMounts, toOciMount } from './mounts.js';
export { RLIMIT_TYPES, UNLIMITED, clampRlimits, parseProcLimits } from './rlimits.js';
export type { HostLimit, HostLimits } from './rlimits.js';
export { dockerAllowsSysctl, validateSysctlFlag, validateSysctls } from './sysctls.js';
export { OCI_VERSION } from './types.js';
export type { OciCapabilities, OciDeviceRule, OciLinux, OciMount, OciNamespace, OciProcess, OciResources, OciRlimit, OciSpec } from './types.js';
