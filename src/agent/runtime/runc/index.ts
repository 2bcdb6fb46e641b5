/**
 * The real container runtime: runc 1.1 under conmon 2.1, behind the Runtime port (src/agent/exec/runtime.ts).
 *
 * Owns: the runtime state directory (runc's --root, bundles, exit files, attach sockets; see layout.ts), one
 * conmon per container, the per-container record that lets a new agent process adopt containers, exec sessions,
 * attach, and conmon's k8s-file log format.
 *
 * Flow: create = mount the overlay rootfs, write config.json, launch conmon (`runc create`; the PID comes back on
 * the sync pipe), persist the record. start = `runc start`. The exit code comes from conmon's exit file; OOM from
 * the memory cgroup's `oom_kill` counter (and conmon's `oom` file), read when the exit is first observed and cached.
 * delete = SIGKILL, `runc delete --force`, wait for conmon, unmount, remove cgroup dirs in every hierarchy, remove
 * the state.
 *
 * Invariants (the port's): containers outlive the agent; create is all-or-nothing; delete is idempotent and
 * leaves nothing (no mount, cgroup directory, runc state, exit file, socket link or bundle).
 */
export { RuncRuntime, createRuncRuntime } from './runc-runtime.js';
export type { RuncRuntimeOptions } from './runc-runtime.js';
export { formatK8sLogChunk, formatK8sLogLine, logLineText, parseK8sLogLine, rfc3339NanoUtc } from '../../exec/log-format.js';
export type { K8sLogLine, LogStream } from '../../exec/log-format.js';
export { parseSignal, signalName } from './signals.js';
export { readHostInfo } from './host-info.js';
export type { HostInfo } from './host-info.js';
export type { CgroupMount } from './cgroups.js';
