// The parser: tree shapes (else-if chains, define/block, pipelines, chains) and Go's parse errors.

import { expect } from 'chai';
import { pipeString } from '../../src/gotemplate/ast';
import { GO_TEMPLATE_FUNCTIONS } from '../../src/gotemplate';
import { parseTemplate, TemplateParseError } from '../../src/gotemplate/parser';

const parse = (text: string) => parseTemplate('t', text, { functions: GO_TEMPLATE_FUNCTIONS });

function parseError(text: string): string {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof TemplateParseError) return err.message;
    throw err;
  }
  throw new Error('parsed without error');
}

describe('gotemplate parser', () => {
  it('keeps a pipeline with declarations, commands and parenthesised arguments', () => {
    const root = parse('{{ $x := .A.B | printf "%s" (index . 1) }}').templates.get('t');
    const action = root?.nodes[0];
    expect(action?.type).to.equal('action');
    if (action?.type === 'action') expect(pipeString(action.pipe)).to.equal('$x := .A.B | printf "%s" (index . 1)');
  });

  it('turns {{else if}} into a nested if in the else branch', () => {
    const root = parse('{{ if .A }}a{{ else if .B }}b{{ else }}c{{ end }}').templates.get('t');
    const ifNode = root?.nodes[0];
    expect(ifNode?.type).to.equal('if');
    if (ifNode?.type === 'if') expect(ifNode.elseList?.nodes[0].type).to.equal('if');
  });

  it('collects define and block templates by name', () => {
    const parsed = parse('{{ define "a" }}A{{ end }}{{ block "b" . }}B{{ end }}');
    expect([...parsed.templates.keys()].sort()).to.deep.equal(['a', 'b', 't']);
  });

  it('chains fields after a function call or a parenthesised pipeline', () => {
    const root = parse('{{ (index . 0).Name }}{{ scratch.Get "k" }}').templates.get('t');
    const kinds = root?.nodes.map((n) => (n.type === 'action' ? n.pipe.cmds[0].args[0].type : n.type));
    expect(kinds).to.deep.equal(['chain', 'chain']);
  });

  it('reports Go\'s parse errors with the line', () => {
    expect(parseError('{{ nope }}')).to.equal('template: t:1: function "nope" not defined');
    expect(parseError('\n{{ $x }}')).to.equal('template: t:2: undefined variable "$x"');
    expect(parseError('{{ end }}')).to.equal('template: t:1: unexpected {{end}}');
    expect(parseError('{{ if 1 }}')).to.equal('template: t:1: unexpected EOF');
    expect(parseError('{{ continue }}')).to.equal('template: t:1: {{continue}} outside {{range}}');
    expect(parseError('{{ }}')).to.equal('template: t:1: missing value for command');
    expect(parseError('{{ 1 | 2 }}')).to.equal('template: t:1: non executable command in pipeline stage 2');
    expect(parseError('{{ $x = 1 }}')).to.equal('template: t:1: undefined variable "$x"');
    expect(parseError('{{ range $a, $b, $c := . }}{{ end }}')).to.equal('template: t:1: too many declarations in range');
    expect(parseError('{{ define "a" }}1{{ end }}{{ define "a" }}2{{ end }}')).to.equal('template: t:1: template: multiple definition of template "a"');
    expect(parseError('{{ template x }}')).to.equal('template: t:1: unexpected "x" in template clause');
  });
});
