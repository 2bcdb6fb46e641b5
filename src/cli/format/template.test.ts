import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ShoalError } from '../../api/errors.js';
import { GoStruct, Template, TEMPLATE_EXEC_ERROR, TEMPLATE_PARSE_ERROR, renderTemplate } from './template.js';

const data = {
  Name: 'web',
  ID: 'tupx5xzf6hvsrhnruz5cr8gwp',
  Image: 'nginx:1.25',
  Labels: { tier: 'front', 'com.docker.stack.namespace': 'shop', Zone: 'a' },
  Args: ['a', 'b'],
  Nums: [1, 2, 3, 4],
  Empty: [],
  Matrix: [
    [1, 2],
    [3, 4],
  ],
  Items: [{ Name: 'first' }, { Name: 'second' }],
  Spec: { Name: 'web', Replicas: 3, Mode: { Replicated: { Replicas: 3 } } },
  N: 2,
  F: 0.5,
  Yes: true,
  Nil: null,
  Greeting: () => 'hello',
};

const render = (tmpl: string, d: unknown = data): string => renderTemplate(tmpl, d);

function fails(tmpl: string, message: string, d: unknown = data, code = TEMPLATE_EXEC_ERROR): void {
  assert.throws(
    () => render(tmpl, d),
    (e: unknown) => e instanceof ShoalError && e.kind === 'InvalidArgument' && e.code === code && e.message === message,
    `${tmpl} should fail with ${message}`,
  );
}
const parseFails = (tmpl: string, message: string): void => fails(tmpl, message, data, TEMPLATE_PARSE_ERROR);

function cases(table: [string, string][], d: unknown = data): void {
  for (const [tmpl, want] of table) assert.equal(render(tmpl, d), want, tmpl);
}

describe('template: fields and maps', () => {
  it('reads fields, nested fields and map keys', () => {
    cases([
      ['{{.Name}}', 'web'],
      ['name={{.Name}}, image={{.Image}}', 'name=web, image=nginx:1.25'],
      ['{{.Spec.Mode.Replicated.Replicas}}', '3'],
      ['{{.Labels.tier}}', 'front'],
      ['{{.Labels.Zone}}', 'a'],
    ]);
    assert.equal(render('{{.}}', 'x'), 'x');
  });

  it('prints <no value> for a missing map key, as Go does', () => {
    cases([
      ['{{.Labels.missing}}', '<no value>'],
      ['{{.Nope}}', '<no value>'],
      ['{{.Nope.Deeper}}', '<no value>'],
      ['{{.Nil}}', '<no value>'],
    ]);
  });

  it('calls getters like Go methods', () => {
    cases([['{{.Greeting}} {{.Greeting | upper}}', 'hello HELLO']]);
  });

  it('prints values as fmt %v does', () => {
    cases([
      ['{{.Args}}', '[a b]'],
      ['{{.Labels}}', 'map[Zone:a com.docker.stack.namespace:shop tier:front]'],
      ['{{.Matrix}}', '[[1 2] [3 4]]'],
      ['{{.Items}}', '[map[Name:first] map[Name:second]]'],
      ['{{.N}} {{.F}} {{.Yes}}', '2 0.5 true'],
      ['{{.Empty}}', '[]'],
    ]);
  });

  it('evaluates literals', () => {
    cases([
      ['{{"a\\tb"}}', 'a\tb'],
      ['{{`raw\\n`}}', 'raw\\n'],
      ["{{'a'}}", '97'],
      ['{{1.5}} {{-3}} {{+4}} {{0x1F}} {{0o17}} {{0b101}} {{1_000}}', '1.5 -3 4 31 15 5 1000'],
      ['{{1e3}} {{1e6}} {{1.0}} {{0.00001}}', '1000 1e+06 1 1e-05'],
      ['{{true}} {{false}}', 'true false'],
    ]);
  });
});

describe('template: functions docker registers', () => {
  it('json encodes compactly, in the object order, without HTML escaping', () => {
    cases([
      ['{{json .Spec}}', '{"Name":"web","Replicas":3,"Mode":{"Replicated":{"Replicas":3}}}'],
      ['{{json .Name}}', '"web"'],
      ['{{json .Args}}', '["a","b"]'],
      ['{{json .Nope}}', 'null'],
      ['{{json .Nil}}', 'null'],
      ['{{json .F}}', '0.5'],
      ['{{json "0.0.0.0:2->8/udp & <b>"}}', '"0.0.0.0:2->8/udp & <b>"'],
      ['{{json "tab\\tquote\\"back\\\\"}}', '"tab\\tquote\\"back\\\\"'],
    ]);
  });

  it('json of a docker row context sorts keys and escapes HTML (formatter.MarshalJSON)', () => {
    const row = new GoStruct('*service.serviceContext', { Name: 'web', Ports: () => '*:8080->80/tcp', ID: 'x' }, 'methods');
    assert.equal(render('{{json .}}', row), '{"ID":"x","Name":"web","Ports":"*:8080-\\u003e80/tcp"}');
  });

  it('split, join, title, lower, upper', () => {
    cases([
      ['{{join .Args ", "}}', 'a, b'],
      ['{{split .Image ":"}}', '[nginx 1.25]'],
      ['{{join (split "text:with:colon" ":") "/"}}', 'text/with/colon'],
      ['{{split "abc" ""}}', '[a b c]'],
      ['{{title "hello wide world"}}', 'Hello Wide World'],
      ['{{title "ab-cd_ef 9x"}}', 'Ab-Cd_ef 9x'],
      ['{{upper .Name}} {{lower "MiXeD"}} {{.Name | upper}}', 'WEB mixed WEB'],
    ]);
  });

  it('pad and truncate (pad leaves an empty string empty)', () => {
    const id = { ID: 'tupx5xzf6hvsrhnruz5cr8gwp', E: '' };
    cases(
      [
        ['{{truncate .ID 5}}', 'tupx5'],
        ['{{truncate .ID 25}}', 'tupx5xzf6hvsrhnruz5cr8gwp'],
        ['{{truncate .ID 30}}', 'tupx5xzf6hvsrhnruz5cr8gwp'],
        ['[{{pad .ID 3 3}}]', '[   tupx5xzf6hvsrhnruz5cr8gwp   ]'],
        ['[{{pad .E 3 3}}]', '[]'],
        ['[{{truncate .E 3}}]', '[]'],
      ],
      id,
    );
  });

  it('println ends with a newline', () => {
    cases([
      ['{{println .Name}}', 'web\n'],
      ['{{range $k, $v := .Args}}{{println $v $k}}{{end}}', 'a 0\nb 1\n'],
    ]);
  });
});

describe('template: Go builtins', () => {
  it('comparisons', () => {
    cases([
      ['{{eq .Name "web"}} {{eq .Name "db"}} {{eq .N 1 2}}', 'true false true'],
      ['{{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true true true true false'],
      ['{{lt 1.5 2.5}} {{eq .Nope "x"}}', 'true false'],
      ['{{if eq .Spec.Replicas 3}}three{{end}}', 'three'],
    ]);
  });

  it('and, or, not return operands and short-circuit', () => {
    cases([
      ['{{and 1 0}} {{and 1 "x"}} {{or 0 ""}}|{{or 0 "y"}} {{not .Nope}} {{not 1}}', '0 x |y true false'],
      ['{{and false (index .Args 10)}} {{or true (index .Args 10)}}', 'false true'],
      ['{{if and .Yes (eq .N 2)}}both{{end}}', 'both'],
    ]);
  });

  it('len, index, slice', () => {
    cases([
      ['{{len .Args}} {{len .Labels}} {{len "héllo"}}', '2 3 6'],
      ['{{index .Args 1}} {{index .Matrix 1 0}} {{index .Labels "com.docker.stack.namespace"}}', 'b 3 shop'],
      ['[{{index .Labels "missing"}}]', '[]'],
      ['{{(index .Items 1).Name}}', 'second'],
      ['{{slice .Args 1}} {{slice .Nums 1 3}} {{slice "hello" 1 3}}', '[b] [2 3] el'],
    ]);
  });

  it('print and printf', () => {
    cases([
      ['{{print "a" "b"}} {{print 1 2}} {{print "a" 1 2 "b"}}', 'ab 1 2 a1 2b'],
      ['{{printf "%s:%d" .Name 5}}', 'web:5'],
      ['{{printf "%v %q" .Args .Name}}', '[a b] "web"'],
      ['{{printf "%5s|%-5s|%05d|%.2f|%x|%t|%%" "a" "b" 42 3.14159 255 true}}', '    a|b    |00042|3.14|ff|true|%'],
      ['{{printf "%d" "x"}}', '%!d(string=x)'],
      ['{{printf "%s"}}', '%!s(MISSING)'],
      ['{{printf "%s" "a" "b"}}', 'a%!(EXTRA string=b)'],
      ['{{printf "%v" .Labels}}', 'map[Zone:a com.docker.stack.namespace:shop tier:front]'],
      ['{{.Name | printf "%s!"}}', 'web!'],
    ]);
  });

  it('html, js, urlquery', () => {
    cases([['{{html "<a href=\'x\'>&</a>"}} {{js "it\'s <b>"}} {{urlquery "a b&c"}}', "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt; it\\'s \\u003Cb\\u003E a+b%26c"]]);
  });

  it('call', () => {
    // Functions reached as fields are methods (called on access); call takes one reached otherwise.
    cases([['{{call (index .Fns 0) 1 2}}', '3']], { Fns: [(a: number, b: number) => a + b] });
  });
});

describe('template: actions', () => {
  it('if / else if / else', () => {
    const t = Template.parse('{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}');
    assert.equal(t.execute({ N: 1 }), 'one');
    assert.equal(t.execute({ N: 2 }), 'two');
    assert.equal(t.execute({ N: 7 }), 'many');
  });

  it('truth follows Go: empty strings, slices, maps and zero are false', () => {
    cases([['{{if ""}}t{{else}}f{{end}}{{if .Empty}}t{{else}}f{{end}}{{if 0}}t{{else}}f{{end}}{{if .Labels}}t{{else}}f{{end}}{{if .Nope}}t{{else}}f{{end}}', 'ffftf']]);
  });

  it('range over slices, with index and element variables, and else', () => {
    cases([
      ['{{range .Args}}<{{.}}>{{end}}', '<a><b>'],
      ['{{range $i, $e := .Args}}{{$i}}={{$e}} {{end}}', '0=a 1=b '],
      ['{{range $e := .Args}}{{$e}}{{end}}', 'ab'],
      ['{{range .Empty}}x{{else}}none{{end}}', 'none'],
      ['{{range .Nope}}x{{else}}none{{end}}', 'none'],
      ['{{range .Args}}{{$.Name}}{{end}}', 'webweb'],
      ['{{range 3}}{{.}}{{end}}', '012'],
    ]);
  });

  it('range over maps visits keys in Go sorted order', () => {
    const d = { M: { b: 2, a: 1, C: 3, _x: 0 } };
    cases([['{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}', 'C=3;_x=0;a=1;b=2;']], d);
    cases([['{{range .M}}{{.}}{{end}}', '3012']], d);
  });

  it('break and continue', () => {
    cases([
      ['{{range .Nums}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}', '12'],
      ['{{range .Nums}}{{if eq . 3}}{{continue}}{{end}}{{.}}{{end}}', '124'],
    ]);
  });

  it('with / else', () => {
    cases([
      ['{{with .Spec}}{{.Name}}:{{.Replicas}}{{end}}', 'web:3'],
      ['{{with .Nope}}x{{else}}none{{end}}', 'none'],
      ['{{with $x := .Name}}{{$x}}{{end}}', 'web'],
    ]);
  });

  it('variables: declare, assign, root, scope', () => {
    cases([
      ['{{$x := "a"}}{{$x = "b"}}{{$x}}', 'b'],
      ['{{$n := .Name}}{{range .Args}}{{$n}}-{{.}} {{end}}', 'web-a web-b '],
      ['{{$.Name}}', 'web'],
      ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ]);
  });

  it('trim markers and comments', () => {
    cases([
      ['a  {{- "b" -}}  c', 'abc'],
      ['a \n {{- .Name}}', 'aweb'],
      ['{{.Name -}}\n\n  x', 'webx'],
      ['a {{/* a comment */}} b', 'a  b'],
      ['a {{- /* trimmed */ -}} b', 'ab'],
      ['{{- range .Args }}\n - {{ . }}\n{{- end }}', '\n - a\n - b'],
    ]);
  });

  it('parentheses and pipelines', () => {
    cases([
      ['{{(len .Args)}} {{printf "%d" (len .Args)}}', '2 2'],
      ['{{.Name | printf "%s-%s" "x"}}', 'x-web'],
      ['{{"abc" | upper | printf "%s!"}}', 'ABC!'],
      ['{{(index .Items 0).Name | upper}}', 'FIRST'],
    ]);
  });

  it('actions may span lines (Go 1.16+)', () => {
    cases([['{{if\n  eq .N 2\n}}two{{end}}', 'two']]);
  });

  it('define, template and block', () => {
    cases([
      ['{{define "item"}}[{{.}}]{{end}}{{range .Args}}{{template "item" .}}{{end}}', '[a][b]'],
      ['{{block "b" .Name}}<{{.}}>{{end}}', '<web>'],
    ]);
  });

  it('row contexts: Go structs with getter methods and methods taking arguments', () => {
    const row = new GoStruct('*container.ContainerContext', {
      ID: () => 'abc',
      Label: (k: string) => ({ tier: 'front' } as Record<string, string>)[k] ?? '',
    });
    assert.equal(render('{{.ID}} {{.Label "tier"}}', row), 'abc front');
  });
});

describe('template: parse errors carry Go text/template messages', () => {
  it('reports syntax errors', () => {
    parseFails('{{.Name', 'template: :1: unclosed action');
    parseFails('{{.Name}', 'template: :1: unexpected "}" in operand');
    parseFails('{{if .Yes}}x', 'template: :1: unexpected EOF');
    parseFails('{{end}}', 'template: :1: unexpected {{end}}');
    parseFails('{{else}}', 'template: :1: unexpected {{else}}');
    parseFails('{{nope .Name}}', 'template: :1: function "nope" not defined');
    parseFails('{{$x}}', 'template: :1: undefined variable "$x"');
    parseFails('{{if true}}{{$y := 1}}{{end}}{{$y}}', 'template: :1: undefined variable "$y"');
    parseFails('{{.Name | "x"}}', 'template: :1: non executable command in pipeline stage 2');
    parseFails('{{if}}{{end}}', 'template: :1: missing value for if');
    parseFails('{{"abc}}', 'template: :1: unterminated quoted string');
    parseFails('{{3x}}', 'template: :1: bad number syntax: "3x"');
    parseFails('{{(.Name}}', 'template: :1: unclosed left paren');
    parseFails('{{.Name)}}', 'template: :1: unexpected ")" in command');
    parseFails('{{)}}', 'template: :1: unexpected ")" in command');
    parseFails('{{/* open }}', 'template: :1: unclosed comment');
    parseFails('{{break}}', 'template: :1: {{break}} outside {{range}}');
    parseFails('{{range $a, $b, $c := .Args}}{{end}}', 'template: :1: too many declarations in range');
    parseFails('{{.Name #}}', 'template: :1: unexpected "#" in operand');
  });

  it('reports the line of the failing token', () => {
    parseFails('a\nb\n{{.X', 'template: :3: unclosed action');
    parseFails('{{if .X}}\n\n{{else}}\n', 'template: :4: unexpected EOF');
    parseFails('{{.X\n\n', 'template: :3: unclosed action started at :1');
    parseFails('{{.X\n "open\n}}', 'template: :2: unterminated quoted string in action started at :1');
  });
});

describe('template: execution errors carry Go messages and positions', () => {
  const row = new GoStruct('*node.nodeContext', { ID: 'x', Hostname: () => 'vm' });

  it('a field a struct does not have', () => {
    fails('{{.Foo}}', 'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *node.nodeContext', row);
    fails('{{.ID}} {{.Hostname.X}}', 'template: :1:19: executing "" at <.Hostname.X>: can\'t evaluate field X in type string', row);
  });

  it('argument counts and types', () => {
    fails('{{truncate .Name}}', 'template: :1:2: executing "" at <truncate>: wrong number of args for truncate: want 2 got 1');
    fails('{{upper .N}}', 'template: :1:8: executing "" at <.N>: wrong type for value; expected string; got int');
    fails('{{.Name | truncate 3}}', 'template: :1:19: executing "" at <3>: expected string; found 3');
    fails('{{join .Nums ","}}', 'template: :1:7: executing "" at <.Nums>: wrong type for value; expected []string; got []interface {}');
  });

  it('function errors', () => {
    fails('{{index .Args 5}}', 'template: :1:2: executing "" at <index .Args 5>: error calling index: index out of range: 5');
    fails('{{len 3}}', 'template: :1:2: executing "" at <len 3>: error calling len: len of type int');
    fails('{{eq .Name 1}}', 'template: :1:2: executing "" at <eq .Name 1>: error calling eq: incompatible types for comparison: string and int');
    fails('{{lt true false}}', 'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison');
  });

  it('other runtime errors', () => {
    fails('{{range .Name}}{{end}}', 'template: :1:8: executing "" at <.Name>: range can\'t iterate over web');
    fails('x\n {{.Nil.Foo}}', 'template: :2:7: executing "" at <.Nil.Foo>: nil pointer evaluating interface {}.Foo');
    fails('{{nil}}', 'template: :1:2: executing "" at <nil>: nil is not a command');
    fails('{{template "nope"}}', 'template: :1:11: executing "" at <{{template "nope"}}>: template "nope" not defined');
  });

  it('missingkey=error', () => {
    const t = Template.parse('{{.State.Health.Status}}');
    assert.throws(() => t.execute({ State: {} }, { missingKey: 'error' }), {
      message: 'template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"',
    });
  });

  it('keeps the output written before an error', () => {
    const r = Template.parse('a{{.Name}}b{{index .Args 9}}c').run(data);
    assert.equal(r.output, 'awebb');
    assert.equal(r.error?.code, TEMPLATE_EXEC_ERROR);
  });
});
