// The executor on hand-built Go values: fields and methods, missingkey modes, call, truthiness, printing, errors.

import { expect } from 'chai';
import { BUILTINS } from '../../src/gotemplate/builtins';
import { TemplateExecError } from '../../src/gotemplate/errors';
import { execute, type MissingKey } from '../../src/gotemplate/exec';
import { parseTemplate } from '../../src/gotemplate/parser';
import { GoFloat, GoFunc, GoMap, GoStruct, interfaceMap, isTrue, stringMap, stringSlice, type GoValue } from '../../src/gotemplate/values';

const FUNCS = new Set(BUILTINS.keys());

function run(text: string, data: GoValue, missingKey: MissingKey = 'default'): string {
  return execute(parseTemplate('t', text, { functions: FUNCS }), data, { functions: BUILTINS, missingKey });
}

function runError(text: string, data: GoValue, missingKey: MissingKey = 'default'): string {
  try {
    run(text, data, missingKey);
  } catch (err) {
    if (err instanceof TemplateExecError) return err.message;
    throw err;
  }
  throw new Error('executed without error');
}

const double = new GoFunc('double', ([n]) => (typeof n === 'number' ? n * 2 : null), { min: 1, max: 1 });
const user = new GoStruct('*main.User', new Map<string, GoValue>([['Name', 'ada'], ['Tags', stringSlice(['x', 'y'])], ['Double', double], ['Meta', stringMap({ a: '1' })]]),
  new Map([['Greet', new GoFunc('Greet', ([who]) => `hi ${String(who)}`, { min: 1, max: 1 })]]));
const data = interfaceMap(new Map<string, GoValue>([['User', user], ['N', 3], ['F', new GoFloat(0.5)], ['Empty', stringSlice([])]]));

describe('gotemplate executor', () => {
  it('reads fields, map keys and calls methods with arguments', () => {
    expect(run('{{ .User.Name }} {{ .User.Greet "bob" }} {{ .User.Meta.a }} {{ index .User.Tags 1 }}', data)).to.equal('ada hi bob 1 y');
  });

  it('call invokes a function-valued field', () => {
    expect(run('{{ call .User.Double 21 }}', data)).to.equal('42');
    expect(runError('{{ call .N }}', data)).to.equal('template: t:1:3: executing "t" at <call .N>: error calling call: non-function of type int');
  });

  it('missingkey: default gives <no value>, zero the element zero value, error fails', () => {
    expect(run('{{ .Nope }}|{{ .User.Meta.b }}', data)).to.equal('<no value>|<no value>');
    expect(run('{{ .Nope }}|{{ .User.Meta.b }}', data, 'zero')).to.equal('<no value>|');
    expect(runError('{{ .User.Meta.b }}', data, 'error')).to.equal('template: t:1:8: executing "t" at <.User.Meta.b>: map has no entry for key "b"');
  });

  // parse.go operand(): a field chain is positioned at its second field, so the column points there.
  it('a field a struct does not have is an error naming the type', () => {
    expect(runError('{{ .User.Adress }}', data)).to.equal('template: t:1:8: executing "t" at <.User.Adress>: can\'t evaluate field Adress in type *main.User');
    expect(runError('x\n  {{ .N.Foo }}', data)).to.equal('template: t:2:7: executing "t" at <.N.Foo>: can\'t evaluate field Foo in type int');
    expect(runError('{{ .User.Name 1 }}', data)).to.equal('template: t:1:8: executing "t" at <.User.Name>: Name has arguments but cannot be invoked as function');
  });

  it('shortens long error contexts to 20 bytes as Go does', () => {
    const long = interfaceMap(new Map([['Abcdefghij', interfaceMap(new Map([['Klmnopqrstu', 1]]))]]));
    expect(runError('{{ .Abcdefghij.Klmnopqrstu.X }}', long)).to.equal('template: t:1:14: executing "t" at <.Abcdefghij.Klmnopqr...>: can\'t evaluate field X in type int');
  });

  it('names the executing template inside a {{template}} call', () => {
    expect(runError('{{ define "inner" }}{{ .Foo }}{{ end }}{{ template "inner" 5 }}', data)).to.equal('template: t:1:23: executing "inner" at <.Foo>: can\'t evaluate field Foo in type int');
  });

  it('follows Go truthiness', () => {
    const values: [GoValue, boolean][] = [[0, false], [1, true], [new GoFloat(0), false], ['', false], ['x', true], [null, false], [undefined, false],
      [stringSlice([]), false], [[1], true], [new GoMap(new Map(), 'map[string]int', 0), false], [user, true], [false, false]];
    for (const [v, truth] of values) expect(isTrue(v), String(v)).to.equal(truth);
  });

  it('range else runs for an empty list, with else for a false value', () => {
    expect(run('{{ range .Empty }}x{{ else }}none{{ end }} {{ with .Empty }}x{{ else }}empty{{ end }}', data)).to.equal('none empty');
  });

  it('range over a value it cannot iterate is an error', () => {
    expect(runError('{{ range .User }}{{ end }}', data)).to.match(/^template: t:1:9: executing "t" at <\{\{range \.User\}\}>: range can't iterate over \{ada/);
  });

  it('variables: $ is the data, := shadows inside a block, = assigns the outer one', () => {
    expect(run('{{ $x := 1 }}{{ with .User }}{{ $x := 2 }}{{ $x }}{{ $.N }}{{ end }}{{ $x }}{{ range $i := .User.Tags }}{{ $x = $i }}{{ end }}{{ $x }}', data)).to.equal('231y');
  });

  it('prints floats, slices, maps and structs as fmt %v does', () => {
    expect(run('{{ .F }} {{ .User.Tags }} {{ .User.Meta }} {{ 1e21 }} {{ 100000.0 }} {{ 1000000.0 }} {{ -0.0001 }}', data)).to.equal('0.5 [x y] map[a:1] 1e+21 100000 1e+06 -0.0001');
  });

  it('prints a struct pointer dereferenced, as {{ }} does, and as &{...} through print; nested pointers are addresses', () => {
    expect(run('{{ .User }}', data)).to.equal('{ada [x y] 0xc000010000 map[a:1]}');
    expect(run('{{ print .User }}', data)).to.equal('&{ada [x y] 0xc000010000 map[a:1]}');
    expect(run('{{ .List }}', interfaceMap(new Map<string, GoValue>([['List', [user]]])))).to.equal('[0xc000010000]');
  });

  it('refuses to print a function value', () => {
    expect(runError('{{ .User.Double }}', data)).to.match(/can't print {{.User.Double}} of type func/);
  });

  it('and/or do not evaluate past the deciding argument', () => {
    expect(run('{{ or 1 .User.Nope.Deeper }} {{ and 0 (call .N) }}', data)).to.equal('1 0');
  });

  it('a pipeline feeds its value as the last argument', () => {
    expect(run('{{ .N | printf "%d-%s" 7 }}', data)).to.equal('7-%!s(int=3)');
  });
});
