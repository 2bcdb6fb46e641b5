/**
 * Listen addresses, docker-style: `unix:///run/shoal/docker.sock` or `tcp://host:port` (`tcp://:2375` = every
 * interface; `tcp://[::1]:2375` for IPv6). Unix sockets get their parent directory created, and a socket file left
 * by a dead daemon is removed only after checking that nothing answers on it.
 */
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { failedPrecondition, invalidArgument } from '../api/errors.js';

export type ListenAddress =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

/** Docker's default plain-TCP port, used when a `tcp://` address has none. */
export const DEFAULT_TCP_PORT = 2375;

export function parseListenAddress(addr: string): ListenAddress {
  if (addr.startsWith('unix://')) {
    const path = addr.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalidArgument('listen.bad_address', `unix socket path must be absolute: ${addr}`);
    return { kind: 'unix', path, url: addr };
  }
  if (addr.startsWith('tcp://')) {
    const rest = addr.slice('tcp://'.length).replace(/\/$/, '');
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/]*))(?::(\d{1,5}))?$/.exec(rest);
    if (m === null) throw invalidArgument('listen.bad_address', `invalid tcp address: ${addr}`);
    const host = m[1] ?? m[2] ?? '';
    const port = m[3] === undefined ? DEFAULT_TCP_PORT : Number(m[3]);
    if (port > 65535) throw invalidArgument('listen.bad_address', `invalid port in ${addr}`);
    return { kind: 'tcp', host: host === '' ? '0.0.0.0' : host, port, url: addr };
  }
  throw invalidArgument('listen.bad_address', `unsupported listen address ${addr} (want unix:///path or tcp://host:port)`);
}

/** True when something accepts connections on the unix socket at `path`. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a hung listener still owns the path
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Makes `path` ready to listen on: creates the parent directory, and removes an existing socket file nobody
 * answers on. Refuses to touch a path that is not a socket, or a socket another process serves.
 */
export async function prepareUnixSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) {
    throw failedPrecondition('listen.not_a_socket', `cannot listen on ${path}: the path exists and is not a socket`);
  }
  if (await socketAnswers(path)) {
    throw failedPrecondition('listen.in_use', `cannot listen on unix://${path}: another daemon is listening there`);
  }
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
