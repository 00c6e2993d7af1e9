// Conformance: consul-template's scratch, helper and math functions (docs/templating-language.md), byte-compared.
// `from` names the doc section, or the consul-template source whose semantics the expectation follows.

import { runCases, type ConformanceCase } from './conformance-data';

const DOC = 'templating-language.md';

export const HELPER_CASES: Record<string, ConformanceCase> = {
  'scratch': {
    from: `${DOC} Scratch (Key, Get, Set, SetX, MapSet, MapSetX, MapValues)`,
    template: '{{ scratch.Set "foo" "bar" }}{{ scratch.SetX "foo" "baz" }}{{ scratch.Key "foo" }} {{ scratch.Get "foo" }} {{ scratch.Key "nope" }} '
      + '{{ scratch.MapSet "vars" "b" "2" }}{{ scratch.MapSetX "vars" "a" "1" }}{{ scratch.MapSetX "vars" "a" "3" }}{{ scratch.MapValues "vars" }}',
    expect: 'true bar false [1 2]',
  },
  'base64Decode': { from: `${DOC} base64Decode`, template: '{{ base64Decode "aGVsbG8=" }}', expect: 'hello' },
  'base64Encode': { from: `${DOC} base64Encode`, template: '{{ base64Encode "hello" }}', expect: 'aGVsbG8=' },
  'byKey': {
    from: `${DOC} byKey`, template: '{{ range $key, $pairs := tree "groups" | byKey }}{{ $key }}:\n{{ range $pair := $pairs }}  {{ .Key }}={{ .Value }}\n{{ end }}{{ end }}',
    expect: 'elasticsearch:\n  es1=1\n  es2=1\n  es3=1\n',
  },
  'byTag': {
    from: `${DOC} byTag`, template: '{{ range $tag, $services := service "web" | byTag }}{{ $tag }}\n{{ range $services }} server {{ .Name }} {{ .Address }}:{{ .Port }}\n{{ end }}{{ end }}',
    expect: 'production\n server web 10.5.2.45:2492\ntag1\n server web 10.5.2.45:2492\ntag2\n server web 10.2.6.61:2904\n',
  },
  'byMeta': {
    from: `${DOC} byMeta (the doc's group keys, listed instead of dumped as JSON)`,
    template: '{{ range $k, $v := service "redis|any" | byMeta "environment,shard_number|int" }}{{ $k }}:{{ range $v }} {{ .ID }}{{ end }}\n{{ end }}',
    expect: 'dev_00001: redis-dev-1\nprod_00001: redis-prod-1\nprod_00002: redis-prod-2\n',
  },
  'contains': {
    from: `${DOC} contains`, template: '{{ range service "web" }}{{ if .Tags | contains "production" }}{{ .Node }} is production{{ end }}{{ end }}', expect: 'web01 is production',
  },
  'containsAll / Any / None / NotAll': {
    from: `${DOC} containsAll, containsAny, containsNone, containsNotAll`,
    template: '{{ $required := split "," "production,tag1" }}{{ range service "web" }}{{ .Node }}:{{ containsAll $required .Tags }},{{ containsAny $required .Tags }},'
      + '{{ containsNone $required .Tags }},{{ containsNotAll $required .Tags }} {{ end }}',
    expect: 'web01:true,true,false,false web02:false,false,true,true ',
  },
  'contains* with no needles': {
    from: `${DOC} containsAll "Returns true if the list of needles is empty" (and the three others)`,
    template: '{{ $none := split "," "" }}{{ containsAll $none "abc" }} {{ containsAny $none "abc" }} {{ containsNone $none "abc" }} {{ containsNotAll $none "abc" }}',
    expect: 'true false true false',
  },
  'env piped': { from: `${DOC} env`, template: '{{ env "CLUSTER_ID" | toLower }}', env: { CLUSTER_ID: 'Prod-EU' }, expect: 'prod-eu' },
  'env with or for a default': { from: `${DOC} env, "or" example`, template: '{{ or (env "CLUSTER_ID") "12345" }}', expect: '12345' },
  'envOrDefault when unset': { from: `${DOC} envOrDefault`, template: '{{ envOrDefault "CLUSTER_NAME" "Default_Cluster" | toLower }}', expect: 'default_cluster' },
  'envOrDefault keeps an empty value': {
    from: `${DOC} envOrDefault: "This includes empty values"`, template: '[{{ envOrDefault "CLUSTER_NAME" "Default_Cluster" }}]', env: { CLUSTER_NAME: '' }, expect: '[]',
  },
  'executeTemplate': {
    from: `${DOC} executeTemplate (its example, minus the unused variable line)`,
    template: '{{ define "custom" }}my custom template{{ end }}\nThis is my other template:\n{{ executeTemplate "custom" }}\nAnd I can call it multiple times:\n'
      + '{{ executeTemplate "custom" }}\nEven with a new context:\n{{ executeTemplate "custom" 42 }}',
    expect: '\nThis is my other template:\nmy custom template\nAnd I can call it multiple times:\nmy custom template\nEven with a new context:\nmy custom template',
  },
  'executeTemplate passes its dot': { from: 'funcs.go executeTemplateFunc: t.ExecuteTemplate(&b, s, dot)', template: '{{ define "t" }}<{{ . }}>{{ end }}{{ executeTemplate "t" 42 | toUpper }}', expect: '<42>' },
  'mustEnv': {
    from: `${DOC} mustEnv: "If the variable is not defined or is empty the substitution will fail"`, template: '{{ mustEnv "CLUSTER_ID" }}',
    error: 'template: :1:3: executing "" at <mustEnv "CLUSTER_ID">: error calling mustEnv: required environment variable CLUSTER_ID is empty',
  },
  'trim / trimPrefix / trimSuffix': {
    from: `${DOC} trim, trimPrefix, trimSuffix`, template: '[{{ "hello world!!" | trim "!!" }}][{{ "hello world!!" | trimPrefix "hello" }}][{{ "hello world!!" | trimSuffix "world!!" }}]',
    expect: '[hello world][ world!!][hello ]',
  },
  'base64URLEncode / base64URLDecode': { from: `${DOC} base64URLEncode, base64URLDecode`, template: '{{ base64URLEncode "hello?>" }} {{ base64URLDecode "aGVsbG8=" }}', expect: 'aGVsbG8_Pg== hello' },
  'parseUint': { from: `${DOC} parseUint`, template: '{{ "1" | parseUint }}', expect: '1' },
  'toUnescapedJSON': {
    from: `${DOC} toUnescapedJSON (a value with & and ?)`, template: '{{ scratch.MapSet "c" "queryparams" "a?b=c&d=e" }}{{ scratch.Get "c" | toUnescapedJSON }} {{ scratch.Get "c" | toJSON }}',
    expect: '{"queryparams":"a?b=c&d=e"} {"queryparams":"a?b=c\\u0026d=e"}',
  },
  'hmacSHA256Hex': {
    from: `${DOC} hmacSHA256Hex (openssl dgst -sha256 -hmac somekey)`, template: '{{ hmacSHA256Hex "somemessage" "somekey" }} {{ "somekey" | hmacSHA256Hex "somemessage" }}',
    expect: '6116e95f2827172aa6ef8b22b883f6a77e966aefc129c6b8228ebd0aac74e98d 6116e95f2827172aa6ef8b22b883f6a77e966aefc129c6b8228ebd0aac74e98d',
  },
  'function_denylist': {
    from: 'config.md template function_denylist; funcs.go denied ("function is disabled"); glob patterns', functionDenylist: ['to*'],
    template: '{{ "a" | toUpper }}', error: 'template: :1:9: executing "" at <toUpper>: error calling toUpper: function is disabled',
  },
  'explode': { from: `${DOC} explode (deep access)`, template: '{{ with tree "config" | explode }}\n{{ .admin.port }}{{ end }}', expect: '\n1234' },
  'explodeMap': {
    from: `${DOC} explodeMap (toJSON in place of toYAML)`,
    template: '{{ scratch.MapSet "example" "foo/bar" "a" }}{{ scratch.MapSet "example" "foo/baz" "b" }}{{ scratch.Get "example" | explodeMap | toJSON }}',
    expect: '{"foo":{"bar":"a","baz":"b"}}',
  },
  'indent': {
    from: `${DOC} indent (toJSONPretty in place of toYAML)`, template: '{{ tree "config" | explode | toJSONPretty | indent 4 }}',
    expect: '    {\n      "admin": {\n        "port": "1234"\n      },\n      "maxconns": "5",\n      "minconns": "2"\n    }',
  },
  'in': { from: `${DOC} in`, template: '{{ range service "web" }}{{ if in .Tags "production" }}{{ .Node }}{{ end }}{{ end }}', expect: 'web01' },
  'loop n': { from: `${DOC} loop`, template: '{{ range loop 5 }}\n# Comment{{end}}', expect: '\n# Comment\n# Comment\n# Comment\n# Comment\n# Comment' },
  'loop from to': { from: `${DOC} loop 5 8`, template: '{{ range $i := loop 5 8 }}\nstanza-{{ $i }}{{ end }}', expect: '\nstanza-5\nstanza-6\nstanza-7' },
  'loop with two range variables fails': {
    from: `${DOC} loop "Will NOT work!"; exec.go walkRange (chan, two variables)`, template: '{{ range $i, $e := loop 5 8 }}\n# ...{{ end }}',
    error: /^template: :1:9: executing "" at <\{\{range \$i, \$e := lo\.\.\.>: can't use 0x[0-9a-f]+ to iterate over more than one variable$/,
  },
  'join': { from: `${DOC} join`, template: '{{ $items := split "," "a,b,c" }}{{ $items | join ", " }}', expect: 'a, b, c' },
  'trimSpace': { from: `${DOC} trimSpace`, template: '[{{ file "/etc/ec2_version" | trimSpace }}]', expect: '[2024.01]' },
  'parseBool': { from: `${DOC} parseBool`, template: '{{ "true" | parseBool }} {{ if key "feature/enabled" | parseBool }}on{{ end }}', expect: 'true on' },
  'parseFloat': { from: `${DOC} parseFloat`, template: '{{ "1.2" | parseFloat }} {{ "3" | parseFloat | printf "%T" }}', expect: '1.2 float64' },
  'parseInt': { from: `${DOC} parseInt`, template: '{{ "1" | parseInt }} {{ "1" | parseInt | add 41 }}', expect: '1 42' },
  'parseInt of a bad number': {
    from: 'funcs.go parseInt: errors.Wrap(err, "parseInt")', template: '{{ "x1" | parseInt }}',
    error: 'template: :1:10: executing "" at <parseInt>: error calling parseInt: parseInt: strconv.ParseInt: parsing "x1": invalid syntax',
  },
  'parseJSON': { from: `${DOC} parseJSON`, template: '{{ with $d := key "user/info" | parseJSON }}{{ $d.name }} {{ index $d.roles 1 }}{{ end }}', expect: 'alice dev' },
  'regexMatch': {
    from: `${DOC} regexMatch`, template: '{{ if "foo.bar" | regexMatch "foo([.a-z]+)" }}\n# match\n{{ else }}\n# no match\n{{ end }}', expect: '\n# match\n',
  },
  'regexReplaceAll': { from: `${DOC} regexReplaceAll`, template: '{{ "foo.bar" | regexReplaceAll "foo([.a-z]+)" "$1" }}', expect: '.bar' },
  'replaceAll': { from: `${DOC} replaceAll`, template: '{{ "foo.bar" | replaceAll "." "_" }}', expect: 'foo_bar' },
  'replaceAll doc example without range': {
    from: `${DOC} replaceAll second example (it lacks a range: Go rejects the stray end)`, template: '{{ service "web" }}{{ .Name | replaceAll ":" "_" }}{{ end }}',
    error: 'template: :1: unexpected {{end}}',
  },
  'sha256Hex': { from: `${DOC} sha256Hex (sha256sum of "bladibla")`, template: '{{ "bladibla" | sha256Hex }}', expect: '54cf4c66bcabb5c20e25331c01dd600b73369e97a947861bd8d3a0e0b8b3d70b' },
  'md5sum': { from: `${DOC} md5sum (md5sum of "myString")`, template: '{{ "myString" | md5sum }}', expect: '91c65b6feeb5a6ad66b30e2ebd9405e1' },
  'split': { from: `${DOC} split (trims first: funcs.go split)`, template: '{{ "foo\\nbar\\n" | split "\\n" }}', expect: '[foo bar]' },
  'split chained': { from: `${DOC} split, chained example`, template: '{{ key "foo" | toUpper | split "\\n" | join "," }}', expect: 'A,B' },
  'splitToMap': { from: `${DOC} splitToMap`, template: '{{ "foo:bar\\nbaz:bat\\n" | splitToMap "\\n" ":" }}', expect: 'map[baz:bat foo:bar]' },
  'timestamp': { from: `${DOC} timestamp (clock pinned at the epoch)`, template: '{{ timestamp }} {{ timestamp "2006-01-02" }} {{ timestamp "unix" }}', expect: '1970-01-01T00:00:00Z 1970-01-01 0' },
  'toJSON': { from: `${DOC} toJSON`, template: '{{ tree "config" | explode | toJSON }}', expect: '{"admin":{"port":"1234"},"maxconns":"5","minconns":"2"}' },
  'toJSONPretty': {
    from: `${DOC} toJSONPretty`, template: '{{ tree "config" | explode | toJSONPretty }}',
    expect: '{\n  "admin": {\n    "port": "1234"\n  },\n  "maxconns": "5",\n  "minconns": "2"\n}',
  },
  'toJSON escapes HTML as encoding/json does': { from: 'funcs.go toJSON: json.Marshal', template: '{{ "a<b>&c" | toJSON }}', expect: '"a\\u003cb\\u003e\\u0026c"' },
  'toLower / toUpper / toTitle': {
    from: `${DOC} toLower, toUpper, toTitle (cases.Title NoLower keeps the rest)`, template: '{{ key "user/name" | toLower }}|{{ key "user/name" | toUpper }}|{{ key "user/name" | toTitle }}',
    expect: 'hello world|HELLO WORLD|Hello WORLD',
  },
  'add / subtract / multiply / divide': {
    from: `${DOC} Math Functions`, template: '{{ add 1 2 }} {{ 1 | add 2 }} {{ subtract 2 5 }} {{ 5 | subtract 2 }} {{ multiply 2 2 }} {{ 2 | multiply 2 }} {{ divide 2 10 }} {{ 10 | divide 2 }}',
    expect: '3 3 3 3 4 4 5 5',
  },
  'modulo / minimum / maximum': {
    from: `${DOC} Math Functions (maximum 2 5 is 5 by funcs.go maximum; the doc's "// 2" is a typo)`,
    template: '{{ modulo 2 5 }} {{ 5 | modulo 2 }} {{ minimum 2 5 }} {{ 5 | minimum 2 }} {{ maximum 2 5 }} {{ 5 | maximum 2 }}', expect: '1 1 2 2 5 5',
  },
  'int and float arithmetic': { from: 'funcs.go divide: int/int is int64, float operands give float64', template: '{{ divide 4 10 }} {{ divide 4 10.0 }} {{ add 1 1.5 }}', expect: '2 2.5 2.5' },
  'integer division by zero': {
    from: 'funcs.go divide (Go panics; text/template reports the recovered panic)', template: '{{ divide 0 1 }}',
    error: 'template: :1:3: executing "" at <divide 0 1>: error calling divide: runtime error: integer divide by zero',
  },
};

describe('gotemplate conformance: consul-template helper and math functions', () => {
  runCases(HELPER_CASES);
});
