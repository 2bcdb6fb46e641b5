/**
 * Where the runc adapter keeps things under its state directory:
 *
 *   <state>/runc/                     runc --root: runc's own container state, separate from any other runc user
 *   <state>/exits/<id>                conmon's exit file: the exit code, written when the container's init exits
 *   <state>/sockets/<id> → bundle     conmon's attach-socket symlink (--socket-dir-path)
 *   <state>/containers/<id>/          the bundle:
 *       config.json  record.json  exit.json       the OCI config, Shoal's record, the observed exit
 *       rootfs/ upper/ work/                      the overlay root filesystem
 *       pid  conmon.pid  attach  ctl  winsz  oom  written by conmon
 *       exec/<exec id>/                           one exec session (process.json, pid, its conmon's files)
 */
import { join } from 'node:path';

export interface StateLayout {
  root: string;
  runcRoot: string;
  exits: string;
  sockets: string;
  containers: string;
}

export function stateLayout(root: string): StateLayout {
  return { root, runcRoot: join(root, 'runc'), exits: join(root, 'exits'), sockets: join(root, 'sockets'), containers: join(root, 'containers') };
}

export interface ContainerPaths {
  bundle: string;
  config: string;
  record: string;
  exit: string;
  pidFile: string;
  conmonPidFile: string;
  ctl: string;
  oomFile: string;
  execs: string;
  exitFile: string;
  socketLink: string;
}

export function containerPaths(l: StateLayout, id: string): ContainerPaths {
  const bundle = join(l.containers, id);
  return {
    bundle,
    config: join(bundle, 'config.json'),
    record: join(bundle, 'record.json'),
    exit: join(bundle, 'exit.json'),
    pidFile: join(bundle, 'pid'),
    conmonPidFile: join(bundle, 'conmon.pid'),
    ctl: join(bundle, 'ctl'),
    oomFile: join(bundle, 'oom'),
    execs: join(bundle, 'exec'),
    exitFile: join(l.exits, id),
    socketLink: join(l.sockets, id),
  };
}
