/**
 * Namespaced sysctls: only keys that live in a namespace the container has of its own may be set, so a container
 * can never change the host's kernel. These are runc's rules and texts (libcontainer/configs/validate), checked
 * before runc sees the bundle so the error is a clean InvalidArgument; plus the docker CLI's allow-list.
 */
import { invalidArgument } from '../../../api/errors.js';
import type { OciNamespace } from './types.js';

/** The System V IPC sysctls (namespaced by the ipc namespace, with fs.mqueue.*). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** The docker CLI's `--sysctl` allow-list (opts.ValidateSysctl): IPC keys, `net.*` and `fs.mqueue.*`. */
export function dockerAllowsSysctl(key: string): boolean {
  return IPC_SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.');
}

/** The docker CLI's check of one `KEY=VALUE` flag value; its text is `sysctl 'vm.swappiness=1' is not allowed`. */
export function validateSysctlFlag(keyValue: string): [string, string] {
  const eq = keyValue.indexOf('=');
  const key = eq < 0 ? keyValue : keyValue.slice(0, eq);
  if (eq < 0 || key === '' || !dockerAllowsSysctl(key)) {
    throw invalidArgument('sysctl.not_allowed', `sysctl '${keyValue}' is not allowed`);
  }
  return [key, keyValue.slice(eq + 1)];
}

function has(namespaces: readonly OciNamespace[], type: OciNamespace['type']): OciNamespace | undefined {
  return namespaces.find((n) => n.type === type);
}

/**
 * Refuses a sysctl that would not be confined to the container: IPC keys need a private ipc namespace, `net.*`
 * a network namespace that is not the host's, `kernel.domainname` a private uts namespace; `kernel.hostname`
 * conflicts with the hostname field; everything else is global to the kernel.
 */
export function validateSysctls(sysctls: Record<string, string>, namespaces: readonly OciNamespace[]): void {
  for (const [rawKey, value] of Object.entries(sysctls)) {
    const key = rawKey.replaceAll('/', '.');
    const bad = (msg: string): never => {
      throw invalidArgument('sysctl.not_namespaced', msg);
    };
    if (typeof value !== 'string') bad(`sysctl ${JSON.stringify(rawKey)} has no value`);
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (!has(namespaces, 'ipc')) bad(`sysctl ${JSON.stringify(rawKey)} is not allowed in the hosts ipc namespace`);
      continue;
    }
    if (key.startsWith('net.')) {
      const net = has(namespaces, 'network');
      if (!net || net.path === '/proc/1/ns/net') bad(`sysctl ${JSON.stringify(rawKey)} is not allowed in the hosts network namespace`);
      continue;
    }
    if (has(namespaces, 'uts')) {
      if (key === 'kernel.domainname') continue;
      if (key === 'kernel.hostname') bad(`sysctl ${JSON.stringify(rawKey)} is not allowed as it conflicts with the OCI "hostname" field`);
    }
    bad(`sysctl ${JSON.stringify(rawKey)} is not in a separate kernel namespace`);
  }
}
