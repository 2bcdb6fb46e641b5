import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShoalError } from '../../api/errors.js';
import { FORMAT_EXEC_ERROR, FORMAT_PARSE_ERROR, finalFormat, renderInspect, renderList, resolveListFormat } from './format.js';
import type { ListFormatOptions } from './format.js';

// docker node ls: cli/command/node/formatter.go's default table and header map.
const node: Omit<ListFormatOptions, 'format' | 'quiet'> = {
  defaultTable:
    'table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}',
  headers: {
    ID: 'ID',
    Self: '',
    Hostname: 'HOSTNAME',
    Status: 'STATUS',
    Availability: 'AVAILABILITY',
    ManagerStatus: 'MANAGER STATUS',
    EngineVersion: 'ENGINE VERSION',
    TLSStatus: 'TLS STATUS',
  },
  raw: 'node_id: {{.ID}}\\nhostname: {{.Hostname}}\\nstatus: {{.Status}}\\navailability: {{.Availability}}\\nmanager_status: {{.ManagerStatus}}\\n',
  rawQuiet: 'node_id: {{.ID}}',
  typeName: '*node.nodeContext',
};

const nodes = [
  { ID: 'nbqicfhpxsu0ebpa5e6r2ewmo', Self: true, Hostname: 'vm', Status: 'Ready', Availability: 'Active', ManagerStatus: 'Leader', EngineVersion: '28.2.2', TLSStatus: 'Ready' },
  { ID: 'k2x7c0ls9n1m8v4b6z3q5w0ej', Self: false, Hostname: 'worker-1', Status: 'Down', Availability: 'Drain', ManagerStatus: '', EngineVersion: '28.2.2', TLSStatus: 'Ready' },
];

describe('renderList', () => {
  it('prints the default table exactly as `docker node ls`', () => {
    assert.equal(
      renderList(nodes.slice(0, 1), node),
      'ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'nbqicfhpxsu0ebpa5e6r2ewmo *   vm         Ready     Active         Leader           28.2.2\n',
    );
    assert.equal(
      renderList(nodes, { ...node, format: 'table' }),
      'ID                            HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n' +
        'nbqicfhpxsu0ebpa5e6r2ewmo *   vm         Ready     Active         Leader           28.2.2\n' +
        'k2x7c0ls9n1m8v4b6z3q5w0ej     worker-1   Down      Drain                           28.2.2\n',
    );
  });

  it('prints only the header when there are no rows', () => {
    assert.equal(
      renderList([], node),
      'ID        HOSTNAME   STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION\n',
    );
    assert.equal(renderList([], { ...node, format: '{{.ID}}' }), '');
  });

  it('-q prints the quiet field; a custom --format wins over -q', () => {
    assert.equal(renderList(nodes, { ...node, quiet: true }), 'nbqicfhpxsu0ebpa5e6r2ewmo\nk2x7c0ls9n1m8v4b6z3q5w0ej\n');
    assert.equal(renderList(nodes, { ...node, quiet: true, quietField: 'Hostname' }), 'vm\nworker-1\n');
    assert.equal(renderList(nodes, { ...node, quiet: true, format: '{{.Hostname}}' }), 'vm\nworker-1\n');
  });

  it('table <template> builds the header from the header map, through tabwriter', () => {
    assert.equal(
      renderList(nodes, { ...node, format: 'table {{.Hostname}}\\t{{.Status}}\\t{{.TLSStatus}}' }),
      'HOSTNAME   STATUS    TLS STATUS\n' + 'vm         Ready     Ready\n' + 'worker-1   Down      Ready\n',
    );
  });

  it('header functions leave headers intact (but pad pads them)', () => {
    assert.equal(
      renderList(nodes, { ...node, format: 'table {{.Hostname | upper}}\t{{truncate .ID 5}}\t[{{pad .Status 1 1}}]' }),
      'HOSTNAME   ID        [ STATUS ]\n' + 'VM         nbqic     [ Ready ]\n' + 'WORKER-1   k2x7c     [ Down ]\n',
    );
  });

  it('json prints one object per line: keys sorted, <>& escaped, as docker', () => {
    const rows = [{ Name: 'web', Ports: () => '*:8080->80/tcp', ID: 'x6ffbgfmxgaf', Replicas: '3/3' }];
    assert.equal(
      renderList(rows, { defaultTable: 'table {{.ID}}', headers: { ID: 'ID' }, format: 'json' }),
      '{"ID":"x6ffbgfmxgaf","Name":"web","Ports":"*:8080-\\u003e80/tcp","Replicas":"3/3"}\n',
    );
    assert.equal(renderList(nodes, { ...node, format: 'json' }).split('\n').length, 3);
  });

  it('a plain template prints one line per row, with \\t and \\n escapes, and no header', () => {
    assert.equal(renderList(nodes, { ...node, format: '{{.ID}}: {{.Hostname}}' }), 'nbqicfhpxsu0ebpa5e6r2ewmo: vm\nk2x7c0ls9n1m8v4b6z3q5w0ej: worker-1\n');
    assert.equal(renderList(nodes.slice(0, 1), { ...node, format: '{{.Hostname}}\\t{{.Status}}' }), 'vm\tReady\n');
  });

  it('raw uses the command raw format, or prints "raw" for commands without one', () => {
    assert.equal(
      renderList(nodes.slice(0, 1), { ...node, format: 'raw' }),
      'node_id: nbqicfhpxsu0ebpa5e6r2ewmo\nhostname: vm\nstatus: Ready\navailability: Active\nmanager_status: Leader\n\n',
    );
    assert.equal(renderList(nodes.slice(0, 1), { ...node, format: 'raw', quiet: true }), 'node_id: nbqicfhpxsu0ebpa5e6r2ewmo\n');
    assert.equal(renderList(nodes.slice(0, 1), { defaultTable: 'table {{.ID}}', headers: {}, format: 'raw' }), 'raw\n');
  });

  it('computes row fields from getters', () => {
    let calls = 0;
    const rows = [{ ID: 'a', Expensive: () => `v${++calls}` }];
    assert.equal(renderList(rows, { defaultTable: 'table {{.ID}}', headers: { ID: 'ID' }, format: '{{.ID}}' }), 'a\n');
    assert.equal(calls, 0);
    assert.equal(renderList(rows, { defaultTable: 'table {{.ID}}', headers: { ID: 'ID' }, format: '{{.Expensive}}' }), 'v1\n');
  });

  it('fails with docker messages: parse errors and unknown fields', () => {
    assert.throws(
      () => renderList(nodes, { ...node, format: '{{.ID' }),
      (e: unknown) => e instanceof ShoalError && e.code === FORMAT_PARSE_ERROR && e.message === 'template parsing error: template: :1: unclosed action',
    );
    assert.throws(
      () => renderList(nodes, { ...node, format: 'table {{.Nope}}' }),
      (e: unknown) =>
        e instanceof ShoalError &&
        e.code === FORMAT_EXEC_ERROR &&
        e.message === 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *node.nodeContext',
    );
  });

  it('resolves formats as docker: empty → table, table → default or quiet', () => {
    assert.equal(resolveListFormat({ ...node }), node.defaultTable);
    assert.equal(resolveListFormat({ ...node, format: 'table', quiet: true }), '{{.ID}}');
    assert.equal(resolveListFormat({ ...node, format: 'pretty' }), 'pretty');
    assert.equal(finalFormat('table  {{.ID}}\\t{{.Name}}  '), '{{.ID}}\t{{.Name}}');
    assert.equal(finalFormat('json'), '{{json .}}');
    assert.equal(finalFormat(' {{.ID}}\\n'), '{{.ID}}\n');
  });
});

describe('renderInspect', () => {
  const svc = {
    ID: 'x6ffbgfmxgaf',
    Version: { Index: 12 },
    Spec: {
      Name: 'web',
      Labels: { tier: 'front', app: 'shop' },
      TaskTemplate: { ContainerSpec: { Image: 'nginx:1.25@sha256:<digest>&more', Args: [] } },
      Mode: { Global: {} },
    },
  };

  it('prints a JSON array indented with 4 spaces, in the API key order, without HTML escaping', () => {
    assert.equal(
      renderInspect([svc]).output,
      `[
    {
        "ID": "x6ffbgfmxgaf",
        "Version": {
            "Index": 12
        },
        "Spec": {
            "Name": "web",
            "Labels": {
                "tier": "front",
                "app": "shop"
            },
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "nginx:1.25@sha256:<digest>&more",
                    "Args": []
                }
            },
            "Mode": {
                "Global": {}
            }
        }
    }
]
`,
    );
    assert.deepEqual(renderInspect([]), { output: '[]\n', errors: [] });
  });

  it('json prints the array compact', () => {
    assert.equal(renderInspect([{ A: 1 }, { B: [1, 2] }], 'json').output, '[{"A":1},{"B":[1,2]}]\n');
  });

  it('runs a template per object', () => {
    assert.deepEqual(renderInspect([{ ID: 'a' }, { ID: 'b' }], '{{.ID}}'), { output: 'a\nb\n', errors: [] });
    assert.equal(renderInspect([svc], '{{.Spec.Labels.tier}} {{.Spec.Labels.missing}}').output, 'front <no value>\n');
    assert.equal(renderInspect([svc], '{{index .Spec.Labels "missing"}}|').output, '|\n');
  });

  it('json sorts Go maps and keeps struct order', () => {
    assert.equal(renderInspect([svc], '{{json .Spec.Labels}}').output, '{"app":"shop","tier":"front"}\n');
    assert.equal(renderInspect([svc], '{{json .Version}} {{json .Spec.Mode}}').output, '{"Index":12} {"Global":{}}\n');
  });

  it('fails as docker does on a key the object does not have (typed pass, then raw with missingkey=error)', () => {
    assert.deepEqual(renderInspect([svc], '{{.State.Health.Status}}'), {
      output: '\n',
      errors: ['template parsing error: template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "State"'],
    });
    assert.deepEqual(renderInspect([svc, { ID: 'b', Spec: { Mode: { Replicated: { Replicas: 2 } } } }], '{{.Spec.Mode.Replicated.Replicas}}'), {
      output: '2\n',
      errors: ['template parsing error: template: :1:7: executing "" at <.Spec.Mode.Replicated.Replicas>: map has no entry for key "Replicated"'],
    });
  });

  it('range over a struct works through the raw fallback, in sorted key order', () => {
    assert.equal(renderInspect([svc], '{{range $k, $v := .Spec}}{{$k}} {{end}}').output, 'Labels Mode Name TaskTemplate \n');
  });

  it('throws on a template that does not parse', () => {
    assert.throws(
      () => renderInspect([svc], '{{.ID'),
      (e: unknown) => e instanceof ShoalError && e.code === FORMAT_PARSE_ERROR && e.message === 'template parsing error: template: :1: unclosed action',
    );
  });
});
