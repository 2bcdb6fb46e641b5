/** Parses the body of `POST /swarm/init` (untrusted JSON) into checked values, naming the bad field. */
import { invalidArgument } from '../api/errors.js';
import type { NodeAvailability } from '../api/types.js';

export interface InitRequest {
  listenAddr: string;
  advertiseAddr: string;
  dataPathAddr: string;
  dataPathPort: number;
  spec: unknown;
  availability: NodeAvailability | undefined;
  defaultAddrPool: string[] | undefined;
  subnetSize: number;
}

function str(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidArgument('swarm.init_invalid', `${key}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(body: Record<string, unknown>, key: string): number {
  const v = body[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalidArgument('swarm.init_invalid', `${key}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function parseInitRequest(input: unknown): InitRequest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidArgument('swarm.init_invalid', 'swarm init request: expected a JSON object');
  }
  const body = input as Record<string, unknown>;
  if (body.ForceNewCluster === true) {
    throw invalidArgument('swarm.force_new_cluster', '--force-new-cluster is only meaningful for a node that is already in a swarm');
  }
  if (body.AutoLockManagers === true) {
    throw invalidArgument('swarm.autolock_unsupported', 'autolock is not supported by this version of Shoal');
  }
  const availability = str(body, 'Availability');
  if (availability !== '' && !['active', 'pause', 'drain'].includes(availability)) {
    throw invalidArgument('swarm.init_invalid', `Availability: invalid value ${JSON.stringify(availability)} (active, pause or drain)`);
  }
  let pool: string[] | undefined;
  const rawPool = body.DefaultAddrPool;
  if (rawPool !== undefined && rawPool !== null) {
    if (!Array.isArray(rawPool)) throw invalidArgument('swarm.init_invalid', 'DefaultAddrPool: expected an array of CIDRs');
    pool = rawPool.map((c, i) => {
      const m = typeof c === 'string' ? CIDR.exec(c) : null;
      if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
        throw invalidArgument('swarm.init_invalid', `DefaultAddrPool[${i}]: invalid CIDR ${JSON.stringify(c)}`);
      }
      return c as string;
    });
    if (pool.length === 0) pool = undefined;
  }
  return {
    listenAddr: str(body, 'ListenAddr') || '0.0.0.0:2377',
    advertiseAddr: str(body, 'AdvertiseAddr'),
    dataPathAddr: str(body, 'DataPathAddr'),
    dataPathPort: int(body, 'DataPathPort'),
    spec: body.Spec,
    availability: availability === '' ? undefined : (availability as NodeAvailability),
    defaultAddrPool: pool,
    subnetSize: int(body, 'SubnetSize'),
  };
}

export interface JoinRequest {
  listenAddr: string;
  advertiseAddr: string;
  dataPathAddr: string;
  /** The managers to join through (`host:port`); at least one. */
  remoteAddrs: string[];
  joinToken: string;
  availability: NodeAvailability | undefined;
}

const joinInvalid = (message: string) => invalidArgument('swarm.join_invalid', message);

/** Parses the body of `POST /swarm/join` (untrusted JSON), naming the bad field. The token's form is checked by src/ca. */
export function parseJoinRequest(input: unknown): JoinRequest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw joinInvalid('swarm join request: expected a JSON object');
  const body = input as Record<string, unknown>;
  const text = (key: string): string => {
    const v = body[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw joinInvalid(`${key}: expected a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const availability = text('Availability');
  if (availability !== '' && !['active', 'pause', 'drain'].includes(availability)) {
    throw joinInvalid(`Availability: invalid value ${JSON.stringify(availability)} (active, pause or drain)`);
  }
  const rawRemotes = body.RemoteAddrs;
  if (!Array.isArray(rawRemotes) || rawRemotes.length === 0) {
    throw joinInvalid('RemoteAddrs: at least one manager address (host:port) is needed to join a swarm');
  }
  const remoteAddrs = rawRemotes.map((r, i) => {
    if (typeof r !== 'string' || r.trim() === '') throw joinInvalid(`RemoteAddrs[${i}]: expected a host:port string, got ${JSON.stringify(r)}`);
    return r.trim();
  });
  const joinToken = text('JoinToken');
  if (joinToken === '') throw joinInvalid('JoinToken: a join token is needed to join a swarm');
  return {
    listenAddr: text('ListenAddr') || '0.0.0.0:2377',
    advertiseAddr: text('AdvertiseAddr'),
    dataPathAddr: text('DataPathAddr'),
    remoteAddrs,
    joinToken,
    availability: availability === '' ? undefined : (availability as NodeAvailability),
  };
}
