// Conformance: the examples and rules of Go's text/template package documentation (pkg.go.dev/text/template,
// Go 1.26 as consul-template's go.mod builds with), byte-compared.

import { runCases, type ConformanceCase } from './conformance-data';

const GO = 'text/template doc';
const OUTPUT = '"output"';

export const GO_CASES: Record<string, ConformanceCase> = {
  'a string constant': { from: `${GO} Examples`, template: '{{"\\"output\\""}}', expect: OUTPUT },
  'a raw string constant': { from: `${GO} Examples`, template: '{{`"output"`}}', expect: OUTPUT },
  'a function call': { from: `${GO} Examples`, template: '{{printf "%q" "output"}}', expect: OUTPUT },
  'a function call whose final argument comes from the previous command': { from: `${GO} Examples`, template: '{{"output" | printf "%q"}}', expect: OUTPUT },
  'a parenthesized argument': { from: `${GO} Examples`, template: '{{printf "%q" (print "out" "put")}}', expect: OUTPUT },
  'a more elaborate call': { from: `${GO} Examples`, template: '{{"put" | printf "%s%s" "out" | printf "%q"}}', expect: OUTPUT },
  'a longer chain': { from: `${GO} Examples`, template: '{{"output" | printf "%s" | printf "%q"}}', expect: OUTPUT },
  'a with action using dot': { from: `${GO} Examples`, template: '{{with "output"}}{{printf "%q" .}}{{end}}', expect: OUTPUT },
  'a with action that creates and uses a variable': { from: `${GO} Examples`, template: '{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', expect: OUTPUT },
  'a with action that uses the variable in another action': { from: `${GO} Examples`, template: '{{with $x := "output"}}{{printf "%q" $x}}{{end}}', expect: OUTPUT },
  'the same, but pipelined': { from: `${GO} Examples`, template: '{{with $x := "output"}}{{$x | printf "%q"}}{{end}}', expect: OUTPUT },
  'trim markers': { from: `${GO} Text and spaces`, template: '"{{23 -}} < {{- 45}}"', expect: '"23<45"' },
  'comments, trimmed': { from: `${GO} Actions: comments`, template: 'a {{/* a comment */}}b\n  {{- /* trimmed */ -}}\n  c', expect: 'a bc' },
  'custom delimiters': {
    from: 'consul-template config left_delimiter/right_delimiter; Template.Delims', leftDelimiter: '[[', rightDelimiter: ']]',
    template: '[[ key "service/redis/maxconns" ]] {{ not an action }}', expect: '15 {{ not an action }}',
  },
  'variable assignment in a nested scope': { from: `${GO} Variables (= assigns, Go 1.11)`, template: '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', expect: '2' },
  'a variable declared in a block ends with it': { from: `${GO} Variables: scope extends to the end action`, template: '{{ with $x := 1 }}{{ $x }}{{ end }}{{ $x }}', error: 'template: :1: undefined variable "$x"' },
  '$ is the data passed to Execute (nil for consul-template)': { from: `${GO} Variables; template.go Execute(&b, nil)`, template: '{{ $ }}|{{ . }}', expect: '<no value>|<no value>' },
  'if / else if / else': { from: `${GO} Actions: else if`, template: '{{ if eq 1 2 }}a{{ else if eq 1 1 }}b{{ else }}c{{ end }}', expect: 'b' },
  'with / else with / else': { from: `${GO} Actions: else with (Go 1.23)`, template: '{{ with "" }}a{{ else with "b" }}{{ . }}{{ else }}c{{ end }}', expect: 'b' },
  'with / else': { from: `${GO} Actions: with else`, template: '{{ with "" }}x{{ else }}empty{{ end }}', expect: 'empty' },
  'range with index and element': { from: `${GO} Actions: range $index, $element`, template: '{{ range $i, $e := split "," "a,b,c" }}{{ $i }}={{ $e }} {{ end }}', expect: '0=a 1=b 2=c ' },
  'range over a map visits keys in sorted order': {
    from: `${GO} Actions: range (map keys sorted)`, template: '{{ range $k, $v := "b:2\\na:1\\nc:3" | splitToMap "\\n" ":" }}{{ $k }}={{ $v }};{{ end }}', expect: 'a=1;b=2;c=3;',
  },
  'range over an integer': { from: `${GO} Actions: range over int (Go 1.22)`, template: '{{ range $i := 3 }}{{ $i }}{{ end }}|{{ range 2 }}x{{ end }}', expect: '012|xx' },
  'break and continue': {
    from: `${GO} Actions: {{break}}, {{continue}} (Go 1.18)`, template: '{{ range $i := 5 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}', expect: '02',
  },
  'break outside range': { from: `${GO} parse.go: {{break}} outside {{range}}`, template: '{{ break }}', error: 'template: :1: {{break}} outside {{range}}' },
  'nested template definitions': {
    from: `${GO} Nested template definitions`, template: '{{define "T1"}}ONE{{end}}{{define "T2"}}TWO{{end}}{{define "T3"}}{{template "T1"}} {{template "T2"}}{{end}}{{template "T3"}}',
    expect: 'ONE TWO',
  },
  'template with a pipeline sets dot': { from: `${GO} Actions: {{template "name" pipeline}}`, template: '{{ define "item" }}<{{ . }}>{{ end }}{{ range split "," "a,b" }}{{ template "item" . }}{{ end }}', expect: '<a><b>' },
  'block defines and executes': { from: `${GO} Actions: block`, template: '{{ block "list" "x" }}[{{ . }}]{{ end }}{{ template "list" "y" }}', expect: '[x][y]' },
  'an undefined template': { from: 'exec.go walkTemplate; parse.go templateControl positions the node at its name', template: '{{ template "nope" }}', error: 'template: :1:12: executing "" at <{{template "nope"}}>: template "nope" not defined' },
  'comparison functions': {
    from: `${GO} Functions: eq ne lt le gt ge (eq takes several arguments)`, template: '{{ eq 1 2 3 1 }} {{ ne "a" "b" }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 2.5 }} {{ ge "b" "a" }}',
    expect: 'true true true true false true',
  },
  'comparing incompatible types': {
    from: 'funcs.go errBadComparison', template: '{{ eq 1 "1" }}', error: 'template: :1:3: executing "" at <eq 1 "1">: error calling eq: incompatible types for comparison',
  },
  'and / or / not return an argument': { from: `${GO} Functions: and, or, not`, template: '{{ and 1 0 2 }} {{ or 0 "" "x" }} {{ not "" }} {{ and 1 "y" }}', expect: '0 x true y' },
  'and stops evaluating at the first false argument': { from: `${GO} Functions: and (Go 1.18 short-circuit)`, template: '{{ and false (index (split "," "") 5) }}', expect: 'false' },
  'len / index / slice': {
    from: `${GO} Functions: len, index, slice`, template: '{{ len "abc" }} {{ len "é" }} {{ index (split "," "a,b") 1 }} {{ slice "abcdef" 1 3 }} {{ slice (split "," "a,b,c") 1 }}',
    expect: '3 2 b bc [b c]',
  },
  'index out of range': {
    from: 'funcs.go indexArg', template: '{{ index (split "," "a") 3 }}', error: 'template: :1:3: executing "" at <index (split "," "a"...>: error calling index: index out of range: 3',
  },
  'index of a missing map key is the element zero value': { from: `${GO} Functions: index; funcs.go index (reflect.Zero)`, template: '[{{ index (splitToMap "," "=" "a=1") "b" }}]', expect: '[]' },
  'print and println': { from: `${GO} Functions: print (fmt.Sprint spacing), println`, template: '{{ print "a" 1 2 "b" }}|{{ println "x" 1 }}|', expect: 'a1 2b|x 1\n|' },
  'printf verbs': {
    from: 'fmt package doc: verbs, width, flags', template: '{{ printf "%5d|%-6s|%02d|%x|%X|%o|%.2f|%t|%v|%q|%c|%+d|%6.2f|%s" 42 "ab" 7 255 255 8 3.14159 true (split "," "a,b") "q" 65 5 3.14159 "é" }}',
    expect: '   42|ab    |07|ff|FF|10|3.14|true|[a b]|"q"|A|+5|  3.14|é',
  },
  'printf of floats and bad verbs': {
    from: 'fmt package doc: %v is %g; Printing: wrong type, missing and extra arguments', template: '{{ printf "%v %v %v %v" 1e6 123456.0 0.000012 2.5 }} {{ printf "%d %s" "x" }} {{ printf "x" 1 }}',
    expect: '1e+06 123456 1.2e-05 2.5 %!d(string=x) %!s(MISSING) x%!(EXTRA int=1)',
  },
  'html': { from: `${GO} Functions: html (HTMLEscapeString)`, template: '{{ html "<a href=\\"x\\">O\'Neil & co</a>" }}', expect: '&lt;a href=&#34;x&#34;&gt;O&#39;Neil &amp; co&lt;/a&gt;' },
  'js': { from: `${GO} Functions: js (JSEscapeString)`, template: '{{ js "it\'s <b>\\"x\\"</b>=1" }}', expect: 'it\\\'s \\u003Cb\\u003E\\"x\\"\\u003C/b\\u003E\\u003D1' },
  'urlquery': { from: `${GO} Functions: urlquery (QueryEscape)`, template: '{{ urlquery "a b&c=d/é" }}', expect: 'a+b%26c%3Dd%2F%C3%A9' },
  'printing slices and maps': { from: 'fmt %v of slices and maps (sorted keys)', template: '{{ split "," "a,b" }} {{ splitToMap "," "=" "k=v,a=b" }} {{ parseJSON "[1,\\"x\\",null]" }}', expect: '[a b] map[a:b k:v] [1 x <nil>]' },
  'parenthesized pipelines and field chains on results': {
    from: `${GO} Arguments: (pipeline).Field`, template: '{{ (index (service "web") 0).Address }} {{ with index (service "web") 0 }}{{ .Checks | len }} {{ .Weights.Passing }}{{ end }}',
    expect: '10.5.2.45 0 1',
  },
  'a field of nil data under error_on_missing_key': {
    from: 'exec.go evalField: "nil data; no entry for key"', errorOnMissingKey: true, template: '{{ .Foo }}',
    error: 'template: :1:3: executing "" at <.Foo>: nil data; no entry for key "Foo"',
  },
  'a field of a nil value inside a chain': {
    from: 'exec.go evalField: nil pointer evaluating', template: '{{ $m := parseJSON "{}" }}{{ $m.a.b }}', error: 'template: :1:31: executing "" at <$m.a.b>: nil pointer evaluating interface {}.b',
  },
  'a function that does not exist': { from: 'parse.go: function not defined', template: '{{ nope 1 }}', error: 'template: :1: function "nope" not defined' },
  'an unclosed action': { from: 'lex.go: unclosed action', template: 'a\n{{ if true \nb', error: 'template: :3: unclosed action' },
  'a lone right brace in an action': { from: 'lex.go: unrecognized character', template: 'a\n{{ if true }\nb', error: "template: :2: unrecognized character in action: U+007D '}'" },
  'a missing end': { from: 'parse.go itemList: unexpected EOF', template: '{{ if true }}x', error: 'template: :1: unexpected EOF' },
  'wrong argument count': { from: 'exec.go evalCall', template: '{{ join "," }}', error: 'template: :1:3: executing "" at <join>: wrong number of args for join: want 2 got 1' },
  'wrong argument type': {
    from: 'exec.go validateType', template: '{{ toUpper 5 }}', error: 'template: :1:11: executing "" at <5>: wrong type for value; expected string; got int',
  },
};

describe('gotemplate conformance: Go text/template documentation', () => {
  runCases(GO_CASES);
});
