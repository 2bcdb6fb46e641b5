/**
 * src/lab: multi-node clusters on one machine from network namespaces (docs/design/cluster.md "The lab").
 *
 * Owns: a lab's names (names.ts), its /24 (subnet.ts), its size limit (capacity.ts), its plan and lab.json
 * (plan.ts, state.ts), the kernel objects (network.ts: bridge, netns, veth through iproute2; host.ts: processes,
 * cgroups, mounts) and the nodes' `shoal daemon`s (daemons.ts), composed by `labUp`, `labDown` and the verbs in
 * ops.ts. Used by the `shoal lab` CLI verbs and by test/harness/lab.ts.
 *
 * Invariants: bad input (name, node count, a name in use) is refused before anything is made; everything a lab
 * makes is named from the lab's name and node index, so `labDown` finds it again without lab.json; a `labUp` that
 * fails removes what it made. Imports src/lib, src/api and src/client only. Consumes and produces no events.
 */
export { checkNodeCount, NODE_MEMORY_MIB } from './capacity.js';
export type { ShoalCommand } from './daemons.js';
export { labDown } from './down.js';
export type { LabDownOptions, LabDownReport } from './down.js';
export { DEFAULT_BASES, DEFAULT_LAB_NAME, LAB_MAX_NODES, validateLabName } from './names.js';
export type { LabBases } from './names.js';
export { execInNode, findNode, healNode, labList, loadLab, nodeStatus, partitionNode, pickLab } from './ops.js';
export type { ExecIo, LabListing, NodeStatus } from './ops.js';
export type { LabNodeState, LabState } from './state.js';
export { labUp, SWARM_PORT } from './up.js';
export type { LabUpOptions } from './up.js';
