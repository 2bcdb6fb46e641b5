/** docker's option types for the service flags: ports, secrets, networks, numbers, durations, shell words, caps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  effectiveCaps,
  float32Value,
  goDuration,
  parseConfigRef,
  parseNetwork,
  parsePlacementPref,
  parsePorts,
  parseSecretRef,
  positiveDuration,
  shlexSplit,
  swarmHosts,
  uintValue,
} from './values.js';

describe('service flag values', () => {
  it('--publish: short syntax (ingress, tcp by default), ranges, long syntax with mode=host', () => {
    assert.deepEqual(parsePorts('8080:80'), [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }]);
    assert.deepEqual(parsePorts('53:53/udp'), [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' }]);
    assert.deepEqual(parsePorts('80'), [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 0, PublishMode: 'ingress' }]);
    assert.deepEqual(
      parsePorts('8080-8081:80-81').map((p) => `${p.PublishedPort}->${p.TargetPort}`),
      ['8080->80', '8081->81'],
    );
    assert.deepEqual(parsePorts('published=8080,target=80,mode=host'), [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }]);
    assert.deepEqual(parsePorts('target=80,protocol=udp'), [{ Protocol: 'udp', TargetPort: 80, PublishedPort: 0, PublishMode: 'ingress' }]);
    assert.throws(() => parsePorts('published=8080'), /missing mandatory field 'target'/);
    assert.throws(() => parsePorts('target=80,mode=bridge'), /invalid publish mode value \(bridge\): must be either 'ingress' or 'host'/);
    assert.throws(() => parsePorts('target=80,foo=1'), /invalid field key: foo/);
    assert.throws(() => parsePorts('127.0.0.1:80:80'), /hostip is not supported/);
  });

  it('--secret / --config: short and long forms, uid/gid "0", mode 0444 by default, octal modes', () => {
    assert.deepEqual(parseSecretRef('db_pass'), { File: { Name: 'db_pass', UID: '0', GID: '0', Mode: 0o444 }, SecretID: '', SecretName: 'db_pass' });
    assert.deepEqual(parseSecretRef('source=db,target=/run/x,uid=10,gid=20,mode=0400'), {
      File: { Name: '/run/x', UID: '10', GID: '20', Mode: 256 },
      SecretID: '',
      SecretName: 'db',
    });
    assert.deepEqual(parseConfigRef('src=app,target=/etc/app.conf'), { File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 292 }, ConfigID: '', ConfigName: 'app' });
    assert.throws(() => parseSecretRef('target=/x'), /source is required/);
    assert.throws(() => parseConfigRef('source=a,foo=b'), /invalid field in config request: foo/);
  });

  it('--network, --placement-pref, --host', () => {
    assert.deepEqual(parseNetwork('webnet'), { Target: 'webnet' });
    assert.deepEqual(parseNetwork('name=webnet,alias=web,alias=www'), { Target: 'webnet', Aliases: ['web', 'www'] });
    assert.deepEqual(parsePlacementPref('spread=node.labels.zone'), { Spread: { SpreadDescriptor: 'node.labels.zone' } });
    assert.throws(() => parsePlacementPref('pack=x'), /unsupported placement preference pack \(only spread is supported\)/);
    assert.throws(() => parsePlacementPref('spread'), /placement preference must be of the format "<strategy>=<arg>"/);
    assert.deepEqual(swarmHosts(['db:10.0.0.2']), ['10.0.0.2 db']);
  });

  it('numbers and durations read as Go reads them, with strconv/time errors', () => {
    assert.equal(uintValue('3'), 3);
    assert.equal(uintValue('0x10'), 16);
    assert.throws(() => uintValue('-1'), /strconv\.ParseUint: parsing "-1": invalid syntax/);
    assert.equal(float32Value('0.1'), 0.1);
    assert.equal(float32Value('0.25'), 0.25);
    assert.throws(() => float32Value('x'), /strconv\.ParseFloat: parsing "x": invalid syntax/);
    assert.equal(goDuration('1m30s'), 90e9);
    assert.equal(goDuration('0'), 0);
    assert.throws(() => goDuration('5'), /time: missing unit in duration "5"/);
    assert.throws(() => goDuration('abc'), /time: invalid duration "abc"/);
    assert.throws(() => positiveDuration('-1s'), /duration cannot be negative/);
  });

  it('shell words (--entrypoint, --args) and capabilities', () => {
    assert.deepEqual(shlexSplit(`/bin/sh -c 'echo "hi there"'`), ['/bin/sh', '-c', 'echo "hi there"']);
    assert.deepEqual(shlexSplit('a\\ b "c d"'), ['a b', 'c d']);
    assert.deepEqual(effectiveCaps(['net_admin', 'CAP_SYS_TIME'], ['all']), { capAdd: ['CAP_NET_ADMIN', 'CAP_SYS_TIME'], capDrop: ['ALL'] });
    assert.deepEqual(effectiveCaps(['chown'], ['chown', 'kill']), { capAdd: ['CAP_CHOWN'], capDrop: ['CAP_KILL'] });
  });
});
