import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShoalError } from '../../../api/errors.js';
import { clampRlimits, parseProcLimits, UNLIMITED } from './rlimits.js';

const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max data size             unlimited            unlimited            bytes     
Max stack size            8388608              unlimited            bytes     
Max core file size        0                    unlimited            bytes     
Max resident set          unlimited            unlimited            bytes     
Max processes             96365                96365                processes 
Max open files            20000                20000                files     
Max locked memory         8388608              8388608              bytes     
Max address space         unlimited            unlimited            bytes     
Max file locks            unlimited            unlimited            locks     
Max pending signals       96365                96365                signals   
Max msgqueue size         819200               819200               bytes     
Max nice priority         0                    0                    
Max realtime priority     0                    0                    
Max realtime timeout      unlimited            unlimited            us        
`;

describe('rlimits', () => {
  it('parses /proc/self/limits', () => {
    const l = parseProcLimits(PROC_LIMITS);
    assert.deepEqual(l.RLIMIT_NOFILE, { soft: 20000, hard: 20000 });
    assert.deepEqual(l.RLIMIT_STACK, { soft: 8388608, hard: UNLIMITED });
    assert.deepEqual(l.RLIMIT_NICE, { soft: 0, hard: 0 });
    assert.deepEqual(l.RLIMIT_RTTIME, { soft: UNLIMITED, hard: UNLIMITED });
    assert.equal(Object.keys(l).length, 16);
  });

  it("clamps to the host's hard limit, keeping soft ≤ hard", () => {
    const host = parseProcLimits(PROC_LIMITS);
    assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }], host), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
    assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 65536 }], host), [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }]);
    assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }], host), [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]);
    assert.deepEqual(clampRlimits([{ type: 'RLIMIT_CORE', soft: -1, hard: -1 }], host), [{ type: 'RLIMIT_CORE', soft: UNLIMITED, hard: UNLIMITED }]);
    assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NPROC', soft: -1, hard: -1 }], host), [{ type: 'RLIMIT_NPROC', soft: 96365, hard: 96365 }]);
    assert.deepEqual(clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 5, hard: 6 }], {}), [{ type: 'RLIMIT_NOFILE', soft: 5, hard: 6 }]);
  });

  it('refuses unknown types, duplicates and soft above hard', () => {
    const invalid = (e: unknown): boolean => isShoalError(e, 'InvalidArgument');
    assert.throws(() => clampRlimits([{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }], {}), invalid);
    assert.throws(() => clampRlimits([{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }], {}), invalid);
    assert.throws(
      () =>
        clampRlimits(
          [
            { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 },
            { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 },
          ],
          {},
        ),
      invalid,
    );
  });
});
