/**
 * What a lab is made of, before anything is made: the pure step from (name, node count, subnet, bases) to the
 * LabState that lab.json records (docs/design/cluster.md "The lab"). `lab down` uses `nodePaths` to find a
 * node's objects again when lab.json is gone.
 */
import { formatCidr, type Cidr } from '../lib/cidr.js';
import {
  bridgeName,
  cgroupParentOf,
  containerNetnsPrefix,
  hostnameOf,
  labDataDir,
  labExecDir,
  nodeDataRoot,
  nodeExecRoot,
  nodeName,
  nodeNetns,
  rootVeth,
  type LabBases,
} from './names.js';
import { STATE_VERSION, type LabNodeState, type LabState } from './state.js';
import { gatewayAddr, nodeAddr } from './subnet.js';

/** Everything of node i but its address. */
export function nodePaths(bases: LabBases, lab: string, index: number): Omit<LabNodeState, 'addr' | 'pid'> {
  const execRoot = nodeExecRoot(bases, lab, index);
  return {
    index,
    name: nodeName(index),
    hostname: hostnameOf(lab, index),
    netns: nodeNetns(lab, index),
    veth: rootVeth(lab, index),
    dataRoot: nodeDataRoot(bases, lab, index),
    execRoot,
    socket: `${execRoot}/docker.sock`,
    cgroupParent: cgroupParentOf(lab, index),
    containerNetnsPrefix: containerNetnsPrefix(execRoot),
    log: `${labExecDir(bases, lab)}/${nodeName(index)}.log`,
  };
}

export function planLab(bases: LabBases, lab: string, nodes: number, subnet: Cidr, created: Date): LabState {
  return {
    version: STATE_VERSION,
    name: lab,
    subnet: formatCidr(subnet),
    gateway: gatewayAddr(subnet),
    bridge: bridgeName(lab),
    dataDir: labDataDir(bases, lab),
    execDir: labExecDir(bases, lab),
    created: created.toISOString(),
    nodes: Array.from({ length: nodes }, (_, i) => ({ ...nodePaths(bases, lab, i + 1), addr: nodeAddr(subnet, i + 1) })),
  };
}
