/** NodeSpec validation for `POST /nodes/{id}/update` (untrusted JSON in, a checked NodeSpec out). */
import { invalidArgument } from './errors.js';
import type { NodeAvailability, NodeRole, NodeSpec } from './types.js';

const ROLES: readonly NodeRole[] = ['worker', 'manager'];
const AVAILABILITIES: readonly NodeAvailability[] = ['active', 'pause', 'drain'];

export function parseNodeSpec(input: unknown, current: NodeSpec): NodeSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidArgument('node.spec_invalid', 'node spec: expected a JSON object');
  }
  const s = input as Record<string, unknown>;
  const out: NodeSpec = { ...current, Labels: { ...current.Labels } };
  if (s.Name !== undefined && s.Name !== null) {
    if (typeof s.Name !== 'string') throw invalidArgument('node.spec_invalid', 'Name: expected a string');
    if (s.Name === '') delete out.Name;
    else out.Name = s.Name;
  }
  if (s.Labels !== undefined) {
    if (s.Labels === null) out.Labels = {};
    else if (typeof s.Labels !== 'object' || Array.isArray(s.Labels)) throw invalidArgument('node.spec_invalid', 'Labels: expected an object of strings');
    else {
      for (const [k, v] of Object.entries(s.Labels)) {
        if (typeof v !== 'string') throw invalidArgument('node.spec_invalid', `Labels.${k}: expected a string`);
        if (k === '') throw invalidArgument('node.spec_invalid', 'Labels: a label key must not be empty');
      }
      out.Labels = { ...(s.Labels as Record<string, string>) };
    }
  }
  if (s.Role !== undefined && s.Role !== '') {
    const r = typeof s.Role === 'string' ? s.Role.toLowerCase() : s.Role;
    if (!ROLES.includes(r as NodeRole)) throw invalidArgument('node.role_invalid', `invalid role ${JSON.stringify(s.Role)}, only worker and manager are supported`);
    out.Role = r as NodeRole;
  }
  if (s.Availability !== undefined && s.Availability !== '') {
    const a = typeof s.Availability === 'string' ? s.Availability.toLowerCase() : s.Availability;
    if (!AVAILABILITIES.includes(a as NodeAvailability)) {
      throw invalidArgument('node.availability_invalid', `invalid availability ${JSON.stringify(s.Availability)}, only active, pause and drain are supported`);
    }
    out.Availability = a as NodeAvailability;
  }
  return out;
}
