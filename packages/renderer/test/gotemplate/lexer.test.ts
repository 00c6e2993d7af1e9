// The lexer: token kinds and values, trim markers applied to neighbouring text, comments, custom delimiters, errors.

import { expect } from 'chai';
import { lex } from '../../src/gotemplate/lexer';

function kinds(text: string, left?: string, right?: string): string[] {
  return lex(text, left, right).filter((t) => t.type !== 'space').map((t) => `${t.type}:${t.val}`);
}

describe('gotemplate lexer', () => {
  it('splits text and the words of an action', () => {
    expect(kinds('a {{ $x := .Foo.Bar | printf "%d" 3 }} b')).to.deep.equal([
      'text:a ', 'leftDelim:{{', 'variable:$x', 'declare::=', 'field:.Foo', 'field:.Bar', 'pipe:|', 'identifier:printf', 'string:"%d"', 'number:3', 'rightDelim:}}', 'text: b', 'eof:',
    ]);
  });

  it('knows keywords, booleans, nil, dot, parens, commas and raw strings', () => {
    expect(kinds('{{range $i, $e := (f . nil true `r`)}}{{end}}')).to.deep.equal([
      'leftDelim:{{', 'keyword:range', 'variable:$i', 'comma:,', 'variable:$e', 'declare::=', 'leftParen:(', 'identifier:f', 'dot:.', 'nil:nil', 'bool:true', 'rawString:`r`',
      'rightParen:)', 'rightDelim:}}', 'leftDelim:{{', 'keyword:end', 'rightDelim:}}', 'eof:',
    ]);
  });

  it('lexes numbers as Go does: signs, floats, hex, exponents, characters', () => {
    expect(kinds("{{ -1 +2 1.5 0x1F 1e3 .5 'a' }}").filter((k) => k.startsWith('number') || k.startsWith('char'))).to.deep.equal([
      'number:-1', 'number:+2', 'number:1.5', 'number:0x1F', 'number:1e3', 'number:.5', "char:'a'",
    ]);
  });

  it('{{- trims the whitespace before, -}} the whitespace after', () => {
    expect(kinds('a \n\t{{- 1 -}} \n b')).to.deep.equal(['text:a', 'leftDelim:{{', 'number:1', 'rightDelim:}}', 'text:b', 'eof:']);
  });

  it('any space before -}} makes a trim marker (tab, newline)', () => {
    expect(kinds('{{ 1\t-}} \n b{{ 2\n-}}  c')).to.deep.equal(['leftDelim:{{', 'number:1', 'rightDelim:}}', 'text:b', 'leftDelim:{{', 'number:2', 'rightDelim:}}', 'text:c', 'eof:']);
  });

  it('a minus without a space is a number sign, not a trim marker', () => {
    expect(kinds('a {{-1}}')).to.deep.equal(['text:a ', 'leftDelim:{{', 'number:-1', 'rightDelim:}}', 'eof:']);
  });

  it('drops comments, trimming around them when asked', () => {
    expect(kinds('a {{/* x */}} b {{- /* y */ -}} c')).to.deep.equal(['text:a ', 'text: b', 'text:c', 'eof:']);
  });

  it('uses custom delimiters and leaves the default ones as text', () => {
    expect(kinds('[[ .A ]] {{ .B }}', '[[', ']]')).to.deep.equal(['leftDelim:[[', 'field:.A', 'rightDelim:]]', 'text: {{ .B }}', 'eof:']);
  });

  it('counts lines across text, raw strings and multi-line actions', () => {
    const tokens = lex('a\n{{ `x\ny`\n .B }}');
    expect(tokens.find((t) => t.type === 'field')?.line).to.equal(4);
  });

  it('reports lexical errors in Go words', () => {
    expect(() => lex('{{ "abc }}')).to.throw('unterminated quoted string');
    expect(() => lex('{{ /* x */ }}')).to.throw('unrecognized character in action');
    expect(() => lex('{{/* x }}')).to.throw('unclosed comment');
    expect(() => lex('{{/* x */ 1 }}')).to.throw('comment ends before closing delimiter');
    expect(() => lex('{{ 3x }}')).to.throw('bad number syntax: "3x"');
    expect(() => lex('{{ (1 }}')).to.throw('unclosed left paren');
    expect(() => lex('{{ 1) }}')).to.throw('unexpected right paren');
    expect(() => lex('{{ 1 ')).to.throw('unclosed action');
  });
});
