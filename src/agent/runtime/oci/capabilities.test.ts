import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  capabilitiesFromMask,
  capabilityBit,
  capabilityMask,
  normalizeCapabilities,
  tweakCapabilities,
  validateCapabilities,
} from './capabilities.js';

const throwsInvalid = (fn: () => unknown, message: string): void =>
  assert.throws(fn, (e: unknown) => isShoalError(e, 'InvalidArgument') && e.message === message);

describe('capabilities', () => {
  it('knows every capability by its kernel bit', () => {
    assert.equal(ALL_CAPABILITIES.length, 41);
    assert.equal(capabilityBit('CAP_CHOWN'), 0);
    assert.equal(capabilityBit('CAP_NET_RAW'), 13);
    assert.equal(capabilityBit('CAP_SYS_ADMIN'), 21);
    assert.equal(capabilityBit('CAP_CHECKPOINT_RESTORE'), 40);
    assert.equal(capabilityBit('CAP_FOO'), undefined);
  });

  it("has docker's 14 defaults", () => {
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.ok(DEFAULT_CAPABILITIES.includes('CAP_NET_RAW'));
    assert.ok(!DEFAULT_CAPABILITIES.includes('CAP_SYS_ADMIN'));
  });

  it("masks round-trip, and docker's default set is a80425fb", () => {
    assert.equal(capabilityMask(DEFAULT_CAPABILITIES), '00000000a80425fb');
    assert.deepEqual(new Set(capabilitiesFromMask('00000000a80425fb')), new Set(DEFAULT_CAPABILITIES));
    assert.equal(capabilityMask([]), '0000000000000000');
  });

  it('normalizes like moby: upper case, CAP_ prefix, ALL kept', () => {
    assert.deepEqual(normalizeCapabilities(['net_admin', 'CAP_SYS_TIME', 'all']), ['CAP_NET_ADMIN', 'CAP_SYS_TIME', 'ALL']);
    throwsInvalid(() => normalizeCapabilities(['foo']), 'unknown capability: "CAP_FOO"');
  });

  it('refuses what the host cannot grant', () => {
    throwsInvalid(
      () => normalizeCapabilities(['SYS_RESOURCE'], { available: ['CAP_CHOWN'] }),
      'capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"',
    );
  });

  it('tweaks: drop, add, ALL and privileged', () => {
    const noRaw = tweakCapabilities(DEFAULT_CAPABILITIES, [], ['NET_RAW'], false);
    assert.ok(!noRaw.includes('CAP_NET_RAW'));
    assert.equal(noRaw.length, 13);
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, ['NET_ADMIN'], [], false).at(-1), 'CAP_NET_ADMIN');
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, ['CHOWN'], ['ALL'], false), ['CAP_CHOWN']);
    const all = tweakCapabilities(DEFAULT_CAPABILITIES, ['ALL'], ['SYS_ADMIN'], false);
    assert.equal(all.length, 40);
    assert.ok(!all.includes('CAP_SYS_ADMIN'));
    assert.equal(tweakCapabilities(DEFAULT_CAPABILITIES, [], [], true).length, 41);
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, [], [], true, { available: ['CAP_KILL', 'CAP_CHOWN'] }), ['CAP_CHOWN', 'CAP_KILL']);
    assert.deepEqual(tweakCapabilities(DEFAULT_CAPABILITIES, [], [], false), [...DEFAULT_CAPABILITIES]);
  });

  it("words errors like the docker daemon: invalid CapAdd / CapDrop", () => {
    throwsInvalid(() => tweakCapabilities(DEFAULT_CAPABILITIES, ['FOO'], [], false), 'invalid CapAdd: unknown capability: "CAP_FOO"');
    throwsInvalid(() => tweakCapabilities(DEFAULT_CAPABILITIES, [], ['cap_bar'], false), 'invalid CapDrop: unknown capability: "CAP_BAR"');
  });

  it('validates a final list: CAP_ names only', () => {
    validateCapabilities(DEFAULT_CAPABILITIES);
    throwsInvalid(() => validateCapabilities(['NET_RAW']), 'unknown capability: "NET_RAW"');
    throwsInvalid(() => validateCapabilities(['CAP_FOO']), 'unknown capability: "CAP_FOO"');
  });
});
