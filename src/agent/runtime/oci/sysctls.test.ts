import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { defaultNamespaces } from './defaults.js';
import { dockerAllowsSysctl, validateSysctlFlag, validateSysctls } from './sysctls.js';

const throwsInvalid = (fn: () => unknown, message: string): void =>
  assert.throws(fn, (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === message);

describe('sysctls', () => {
  it("follows the docker CLI's allow-list", () => {
    for (const k of ['net.ipv4.ip_forward', 'kernel.shmmax', 'fs.mqueue.msg_max', 'kernel.shm_rmid_forced']) assert.ok(dockerAllowsSysctl(k), k);
    for (const k of ['vm.swappiness', 'kernel.pid_max', 'kernel.hostname']) assert.ok(!dockerAllowsSysctl(k), k);
    assert.deepEqual(validateSysctlFlag('net.core.somaxconn=1024'), ['net.core.somaxconn', '1024']);
    throwsInvalid(() => validateSysctlFlag('vm.swappiness=1'), "sysctl 'vm.swappiness=1' is not allowed");
    throwsInvalid(() => validateSysctlFlag('net.core.somaxconn'), "sysctl 'net.core.somaxconn' is not allowed");
  });

  it('accepts namespaced keys with their namespaces', () => {
    validateSysctls({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000', 'fs.mqueue.queues_max': '10', 'kernel.domainname': 'x' }, defaultNamespaces());
    validateSysctls({ 'net/ipv4/ip_forward': '1' }, defaultNamespaces());
  });

  it("refuses with runc's texts", () => {
    throwsInvalid(() => validateSysctls({ 'vm.swappiness': '1' }, defaultNamespaces()), 'sysctl "vm.swappiness" is not in a separate kernel namespace');
    throwsInvalid(
      () => validateSysctls({ 'net.ipv4.ip_forward': '1' }, [{ type: 'pid' }, { type: 'mount' }]),
      'sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace',
    );
    throwsInvalid(
      () => validateSysctls({ 'net.ipv4.ip_forward': '1' }, [{ type: 'network', path: '/proc/1/ns/net' }]),
      'sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace',
    );
    throwsInvalid(() => validateSysctls({ 'kernel.sem': '1 2 3 4' }, [{ type: 'pid' }]), 'sysctl "kernel.sem" is not allowed in the hosts ipc namespace');
    throwsInvalid(
      () => validateSysctls({ 'kernel.hostname': 'x' }, defaultNamespaces()),
      'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field',
    );
    throwsInvalid(() => validateSysctls({ 'kernel.domainname': 'x' }, [{ type: 'pid' }]), 'sysctl "kernel.domainname" is not in a separate kernel namespace');
  });
});
