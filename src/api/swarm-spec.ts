/**
 * SwarmSpec defaults and validation. Zero values in a request mean "use the default", as dockerd does
 * (`docker swarm init` sends `Raft:{ElectionTick:0,HeartbeatTick:0}` and empty sections).
 */
import { invalidArgument } from './errors.js';
import type { SwarmSpec } from './types.js';

const SECOND = 1e9;
export const HOUR = 3600 * SECOND;

export const swarmDefaults = {
  name: 'default',
  taskHistoryRetentionLimit: 5,
  snapshotInterval: 10000,
  keepOldSnapshots: 0,
  logEntriesForSlowFollowers: 500,
  electionTick: 10,
  heartbeatTick: 1,
  heartbeatPeriod: 5 * SECOND,
  nodeCertExpiry: 90 * 24 * HOUR,
  defaultAddrPool: ['10.0.0.0/8'],
  subnetSize: 24,
  dataPathPort: 4789,
} as const;

/** The smallest certificate lifetime swarmkit accepts. */
export const MIN_NODE_CERT_EXPIRY = HOUR;

export function defaultSwarmSpec(): SwarmSpec {
  return {
    Name: swarmDefaults.name,
    Labels: {},
    Orchestration: { TaskHistoryRetentionLimit: swarmDefaults.taskHistoryRetentionLimit },
    Raft: {
      SnapshotInterval: swarmDefaults.snapshotInterval,
      KeepOldSnapshots: swarmDefaults.keepOldSnapshots,
      LogEntriesForSlowFollowers: swarmDefaults.logEntriesForSlowFollowers,
      ElectionTick: swarmDefaults.electionTick,
      HeartbeatTick: swarmDefaults.heartbeatTick,
    },
    Dispatcher: { HeartbeatPeriod: swarmDefaults.heartbeatPeriod },
    CAConfig: { NodeCertExpiry: swarmDefaults.nodeCertExpiry },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

type Json = Record<string, unknown>;

function section(obj: Json, key: string, where: string): Json {
  const v = obj[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('swarm.spec_invalid', `${where}${key}: expected an object`);
  return v as Json;
}

function optInt(obj: Json, key: string, where: string, min: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalidArgument('swarm.spec_invalid', `${where}${key}: expected an integer, got ${JSON.stringify(v)}`);
  }
  if (v < min) throw invalidArgument('swarm.spec_invalid', `${where}${key}: must be at least ${min}, got ${v}`);
  return v;
}

function optLabels(obj: Json, key: string, where: string): Record<string, string> | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument('swarm.spec_invalid', `${where}${key}: expected an object of strings`);
  for (const [k, s] of Object.entries(v as Json)) {
    if (typeof s !== 'string') throw invalidArgument('swarm.spec_invalid', `${where}${key}.${k}: expected a string`);
  }
  return v as Record<string, string>;
}

/**
 * Merges a client-supplied SwarmSpec (untrusted JSON) over `base`: zero or missing values keep the base value.
 * Throws InvalidArgument naming the field for anything malformed or out of range.
 */
export function mergeSwarmSpec(base: SwarmSpec, input: unknown, where = 'Spec.'): SwarmSpec {
  if (input === undefined || input === null) return structuredClone(base);
  if (typeof input !== 'object' || Array.isArray(input)) throw invalidArgument('swarm.spec_invalid', `${where.replace(/\.$/, '')}: expected an object`);
  const s = input as Json;
  const out = structuredClone(base);
  if (s.Name !== undefined && s.Name !== null && s.Name !== '') {
    if (typeof s.Name !== 'string') throw invalidArgument('swarm.spec_invalid', `${where}Name: expected a string`);
    out.Name = s.Name;
  }
  const labels = optLabels(s, 'Labels', where);
  if (labels !== undefined) out.Labels = { ...labels };

  const orch = section(s, 'Orchestration', where);
  const thl = optInt(orch, 'TaskHistoryRetentionLimit', `${where}Orchestration.`, 0);
  if (thl !== undefined) out.Orchestration.TaskHistoryRetentionLimit = thl;

  const raft = section(s, 'Raft', where);
  const et = optInt(raft, 'ElectionTick', `${where}Raft.`, 0);
  const ht = optInt(raft, 'HeartbeatTick', `${where}Raft.`, 0);
  if (et) out.Raft.ElectionTick = et;
  if (ht) out.Raft.HeartbeatTick = ht;
  const si = optInt(raft, 'SnapshotInterval', `${where}Raft.`, 0);
  if (si) out.Raft.SnapshotInterval = si;
  const kos = optInt(raft, 'KeepOldSnapshots', `${where}Raft.`, 0);
  if (kos !== undefined) out.Raft.KeepOldSnapshots = kos;
  const le = optInt(raft, 'LogEntriesForSlowFollowers', `${where}Raft.`, 0);
  if (le) out.Raft.LogEntriesForSlowFollowers = le;
  if (out.Raft.ElectionTick <= out.Raft.HeartbeatTick) {
    throw invalidArgument('swarm.spec_invalid', `${where}Raft.ElectionTick: must be greater than HeartbeatTick`);
  }

  const disp = section(s, 'Dispatcher', where);
  const hb = optInt(disp, 'HeartbeatPeriod', `${where}Dispatcher.`, 0);
  if (hb) out.Dispatcher.HeartbeatPeriod = hb;

  const ca = section(s, 'CAConfig', where);
  const exp = optInt(ca, 'NodeCertExpiry', `${where}CAConfig.`, 0);
  if (exp) {
    if (exp < MIN_NODE_CERT_EXPIRY) {
      throw invalidArgument('swarm.spec_invalid', `${where}CAConfig.NodeCertExpiry: minimum certificate expiry time is 1h0m0s`);
    }
    out.CAConfig.NodeCertExpiry = exp;
  }
  const fr = optInt(ca, 'ForceRotate', `${where}CAConfig.`, 0);
  if (fr !== undefined) out.CAConfig.ForceRotate = fr;
  if (Array.isArray(ca.ExternalCAs) && ca.ExternalCAs.length > 0) {
    throw invalidArgument('swarm.spec_invalid', `${where}CAConfig.ExternalCAs: external CAs are not supported`);
  }

  const td = section(s, 'TaskDefaults', where);
  if (td.LogDriver !== undefined && td.LogDriver !== null) {
    const ld = section(td, 'LogDriver', `${where}TaskDefaults.`);
    if (typeof ld.Name !== 'string') throw invalidArgument('swarm.spec_invalid', `${where}TaskDefaults.LogDriver.Name: expected a string`);
    out.TaskDefaults.LogDriver = { Name: ld.Name, ...(ld.Options ? { Options: optLabels(ld, 'Options', `${where}TaskDefaults.LogDriver.`) ?? {} } : {}) };
  }

  const enc = section(s, 'EncryptionConfig', where);
  if (enc.AutoLockManagers !== undefined && enc.AutoLockManagers !== null) {
    if (typeof enc.AutoLockManagers !== 'boolean') {
      throw invalidArgument('swarm.spec_invalid', `${where}EncryptionConfig.AutoLockManagers: expected a boolean`);
    }
    if (enc.AutoLockManagers) {
      throw invalidArgument('swarm.autolock_unsupported', 'autolock is not supported by this version of Shoal');
    }
    out.EncryptionConfig.AutoLockManagers = enc.AutoLockManagers;
  }
  return out;
}
