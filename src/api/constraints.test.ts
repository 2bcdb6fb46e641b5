import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  constraintMatches,
  nodeMatchesConstraints,
  nodeSupportsPlatforms,
  parseConstraint,
  parseConstraints,
  type Constraint,
} from './constraints.js';
import { isShoalError } from './errors.js';
import type { Node } from './types.js';

function aNode(over: { id?: string; hostname?: string; role?: 'worker' | 'manager'; labels?: Record<string, string>; engineLabels?: Record<string, string>; os?: string; arch?: string; addr?: string } = {}): Node {
  return {
    ID: over.id ?? 'node1id',
    Version: { Index: 1 },
    CreatedAt: '2024-01-01T00:00:00Z',
    UpdatedAt: '2024-01-01T00:00:00Z',
    Spec: { Labels: over.labels ?? {}, Role: over.role ?? 'worker', Availability: 'active' },
    Description: {
      Hostname: over.hostname ?? 'host-1',
      Platform: { Architecture: over.arch ?? 'x86_64', OS: over.os ?? 'linux' },
      Resources: { NanoCPUs: 1e9, MemoryBytes: 1e9 },
      Engine: { EngineVersion: 'shoal', Plugins: [], ...(over.engineLabels === undefined ? {} : { Labels: over.engineLabels }) },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
    },
    Status: { State: 'ready', Addr: over.addr ?? '10.0.0.5' },
  };
}

function refused(expr: string): string {
  try {
    parseConstraint(expr);
  } catch (e) {
    assert.ok(isShoalError(e, 'InvalidArgument'), `a ShoalError for ${expr}`);
    assert.equal(e.code, 'constraint.invalid');
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(expr)} to be refused`);
}

const matches = (expr: string, node: Node): boolean => constraintMatches(parseConstraint(expr), node);

describe('parseConstraint: what swarmkit accepts', () => {
  it('splits key, operator and value and trims white space around them', () => {
    const c = parseConstraint(' node.labels.zone ==  eu west ');
    assert.equal(c.key, 'node.labels.zone');
    assert.equal(c.operator, '==');
    assert.equal(c.value, 'eu west', 'inner spaces belong to the value');
    assert.deepEqual(c.field, { kind: 'node.labels', label: 'zone' });
    assert.equal(c.expression, ' node.labels.zone ==  eu west ');
    assert.equal(parseConstraint('node.role!=manager').operator, '!=');
  });

  it('accepts capitals, dots, a leading underscore and the special characters of the value pattern', () => {
    assert.equal(parseConstraint('NoDe==node1').key, 'NoDe');
    assert.equal(parseConstraint('_node==_node1').key, '_node');
    assert.equal(parseConstraint('node==[a-b]+c*(n|b)/').value, '[a-b]+c*(n|b)/');
    assert.equal(parseConstraint('node.labels.x==a:b\\c^$?').value, 'a:b\\c^$?');
    assert.equal(parseConstraint('node.labels.x==\tab').value, 'ab');
  });

  it('accepts keys it cannot interpret (they match no node)', () => {
    const c = parseConstraint('node.name==foo');
    assert.deepEqual(c.field, { kind: 'unknown' });
    assert.equal(constraintMatches(c, aNode()), false);
    assert.equal(matches('node.name!=foo', aNode()), false);
  });

  it('looks for == before !=', () => {
    assert.match(refused('node.role!==manager'), /key 'node.role!' is invalid$/);
  });

  it('refuses what swarmkit refuses, quoting the expression and giving its reason', () => {
    assert.equal(
      refused('node.labels.zone=a'),
      'invalid constraint expression "node.labels.zone=a": constraint expected one operator from ==, !=',
    );
    assert.match(refused(''), /^invalid constraint expression "": constraint expected one operator from ==, !=$/);
    assert.match(refused(' '), /constraint expected one operator/);
    assert.match(refused('nodeabc'), /constraint expected one operator/);
    assert.match(refused('node ~ abc'), /constraint expected one operator/);
    assert.match(refused('1node==a2'), /key '1node' is invalid/);
    assert.match(refused('no de== node1'), /key 'no de' is invalid/);
    assert.match(refused('no*de==node1'), /key 'no\*de' is invalid/);
    assert.match(refused('no$de==node1'), /key 'no\$de' is invalid/);
    assert.match(refused('==node1'), /key '' is invalid/);
    assert.match(refused('a==b'), /key 'a' is invalid/, 'a key has at least two characters');
    assert.match(refused('node=='), /value '' is invalid/);
    assert.match(refused('node== '), /value '' is invalid/);
    assert.match(refused('node.labels.a==b=c'), /value 'b=c' is invalid/);
    assert.match(refused('node.labels.a==b,c'), /value 'b,c' is invalid/);
    assert.match(refused('node.labels.a=="b"'), /value '"b"' is invalid/);
  });

  it('parseConstraints parses a whole placement and stops at the first bad expression', () => {
    assert.deepEqual(parseConstraints(undefined), []);
    assert.equal(parseConstraints(['node.role==worker', 'node.labels.a!=b']).length, 2);
    assert.throws(() => parseConstraints(['node.role==worker', 'oops']), /"oops"/);
  });
});

describe('constraintMatches: swarmkit semantics against a node', () => {
  const node = aNode({
    id: 'abc123',
    hostname: 'Web-1',
    role: 'manager',
    labels: { zone: 'eu-1', Tier: 'Front' },
    engineLabels: { disk: 'ssd' },
    os: 'linux',
    arch: 'x86_64',
  });

  it('compares node.id, node.hostname, node.role, os and arch case-insensitively', () => {
    assert.ok(matches('node.id==abc123', node));
    assert.ok(matches('node.id==ABC123', node));
    assert.ok(!matches('node.id==abc', node), 'whole strings, not prefixes');
    assert.ok(matches('node.hostname==web-1', node));
    assert.ok(matches('node.hostname!=web-2', node));
    assert.ok(matches('node.role==manager', node));
    assert.ok(matches('NODE.ROLE==Manager', node), 'keys are case-insensitive too');
    assert.ok(!matches('node.role==worker', node));
    assert.ok(matches('node.role!=worker', node));
    assert.ok(matches('node.platform.os==Linux', node));
    assert.ok(matches('node.platform.arch==x86_64', node));
  });

  it('compares the architecture literally, as swarmkit does (no amd64 synonym in constraints)', () => {
    assert.ok(!matches('node.platform.arch==amd64', node));
    assert.ok(matches('node.platform.arch!=amd64', node));
  });

  it('node labels: the prefix is case-insensitive, the label name is not, the value is', () => {
    assert.ok(matches('node.labels.zone==eu-1', node));
    assert.ok(matches('Node.Labels.zone==EU-1', node));
    assert.ok(matches('node.labels.Tier==front', node));
    assert.ok(!matches('node.labels.tier==front', node), 'label names are case-sensitive');
    assert.ok(matches('node.labels.tier!=front', node), 'a missing label is the empty string');
    assert.ok(!matches('node.labels.missing==x', node));
    assert.ok(matches('node.labels.missing!=x', node));
    assert.deepEqual(parseConstraint('node.labels.==x').field, { kind: 'unknown' }, 'the prefix alone names no label');
  });

  it('engine labels come from the node description', () => {
    assert.ok(matches('engine.labels.disk==SSD', node));
    assert.ok(!matches('engine.labels.disk==hdd', node));
    assert.ok(matches('engine.labels.disk!=hdd', aNode()), 'a node without engine labels');
    assert.ok(!matches('engine.labels.disk==ssd', aNode()));
  });

  it('node.ip takes an address or a CIDR block; a malformed one matches nothing', () => {
    const n = aNode({ addr: '192.168.1.20' });
    assert.ok(matches('node.ip==192.168.1.20', n));
    assert.ok(matches('node.ip==::ffff:192.168.1.20', n), 'IPv4-mapped IPv6 is the same address');
    assert.ok(!matches('node.ip==192.168.1.21', n));
    assert.ok(matches('node.ip!=192.168.1.21', n));
    assert.ok(matches('node.ip==192.168.0.0/16', n));
    assert.ok(!matches('node.ip!=192.168.0.0/16', n));
    assert.ok(matches('node.ip!=10.0.0.0/8', n));
    assert.ok(!matches('node.ip==fd00::/8', n), 'an IPv6 block holds no IPv4 address');
    assert.ok(!matches('node.ip==192.168.300.1', n));
    assert.ok(!matches('node.ip!=192.168.300.1', n), 'malformed: neither operator matches');
    const v6 = aNode({ addr: 'fd00::1:2' });
    assert.ok(matches('node.ip==fd00:0:0:0:0:0:1:2', v6));
    assert.ok(matches('node.ip==fd00::/16', v6));
    assert.ok(!matches('node.ip==fe80::/10', v6));
    assert.ok(!matches('node.ip==fd00::1::2', v6));
  });

  it('nodeMatchesConstraints needs every constraint', () => {
    const cs: Constraint[] = parseConstraints(['node.role==manager', 'node.labels.zone==eu-1']);
    assert.ok(nodeMatchesConstraints(cs, node));
    assert.ok(!nodeMatchesConstraints([...cs, parseConstraint('node.hostname==other')], node));
    assert.ok(nodeMatchesConstraints([], node));
  });
});

describe('nodeSupportsPlatforms', () => {
  it('matches any listed platform, with amd64/x86_64 and arm64/aarch64 as synonyms', () => {
    const x86 = aNode({ arch: 'x86_64' });
    const arm = aNode({ arch: 'aarch64' });
    const platforms = [{ Architecture: 'amd64', OS: 'linux' }];
    assert.ok(nodeSupportsPlatforms(platforms, x86));
    assert.ok(!nodeSupportsPlatforms(platforms, arm));
    assert.ok(nodeSupportsPlatforms([...platforms, { Architecture: 'arm64', OS: 'linux' }], arm));
    assert.ok(!nodeSupportsPlatforms([{ Architecture: 'amd64', OS: 'windows' }], x86));
    assert.ok(nodeSupportsPlatforms([{ OS: 'linux' }], arm), 'an empty field matches anything');
    assert.ok(nodeSupportsPlatforms(undefined, arm));
    assert.ok(nodeSupportsPlatforms([], arm));
  });
});
