/**
 * Whether a node suits a service's placement, for the orchestrators that choose nodes themselves (global
 * services and global jobs): every constraint of the task template matches (src/api/constraints, swarmkit's
 * rules) and the node's platform is one of `Placement.Platforms`. A constraint that does not parse matches no
 * node (the control API refuses such specs at create and update; this only guards stored data).
 */
import { nodeMatchesConstraints, nodeSupportsPlatforms, parseConstraints } from '../../api/constraints.js';
import type { Constraint } from '../../api/constraints.js';
import type { Node, Service } from '../../api/types.js';

export type PlacementCheck = (node: Node) => boolean;

export function placementCheck(service: Service): PlacementCheck {
  const placement = service.Spec.TaskTemplate.Placement;
  let constraints: Constraint[];
  try {
    constraints = parseConstraints(placement?.Constraints);
  } catch {
    return () => false;
  }
  return (node) => nodeMatchesConstraints(constraints, node) && nodeSupportsPlatforms(placement?.Platforms, node);
}
