// Conformance: consul-template's API functions (docs/templating-language.md "API Functions"), byte-compared.
// `from` names the doc section, or the consul-template source whose semantics the expectation follows.

import { runCases, type ConformanceCase } from './conformance-data';

const DOC = 'templating-language.md';

export const API_CASES: Record<string, ConformanceCase> = {
  'datacenters': { from: `${DOC} datacenters`, template: '{{ range datacenters }}\n{{ . }}{{ end }}', expect: '\ndc1\ndc2' },
  'file': { from: `${DOC} file`, template: '{{ file "/path/to/my/file" }}', expect: 'file contents' },
  'key': { from: `${DOC} key`, template: '{{ key "service/redis/maxconns" }}', expect: '15' },
  'key of an absent key blocks the render': {
    from: `${DOC} key: "will block rendering until the key is present"`, template: 'x{{ key "missing/key" }}', heldBy: ['kv.get(missing/key)'],
  },
  'keyExists': {
    from: `${DOC} keyExists (branch texts told apart)`, template: '{{ if keyExists "app/beta_active" }}\n  # beta\n{{ else }}\n  # stable\n{{ end }}', expect: '\n  # beta\n',
  },
  'keyExists of an absent key does not block': { from: `${DOC} keyExists: "will not block"`, template: '{{ keyExists "nope" }}', expect: 'false' },
  'keyOrDefault of an absent key': { from: `${DOC} keyOrDefault`, template: '{{ keyOrDefault "service/redis/maxconns" "5" }}', data: {}, expect: '5' },
  'keyOrDefault renders the default before Consul answers': {
    from: `${DOC} keyOrDefault, multi-phase paragraph`, template: '{{ keyOrDefault "service/redis/maxconns" "5" }}',
    data: { notYet: new Set(['kv.get(service/redis/maxconns)']) }, expect: '5', heldBy: ['kv.get(service/redis/maxconns)'],
  },
  'ls': { from: `${DOC} ls (top level only: nested/ skipped)`, template: '{{ range ls "service/redis" }}\n  {{ .Key }}:{{ .Value }}\n{{ end }}', expect: '\n  maxconns:15\n\n  minconns:5\n' },
  'safeLs with data': { from: `${DOC} safeLs: "same as ls"`, template: '{{ range safeLs "service/redis" }}{{ .Key }} {{ end }}', expect: 'maxconns minconns ' },
  'safeLs of an empty prefix refuses to render': { from: `${DOC} safeLs; funcs.go lsFunc emptyIsSafe=false`, template: '{{ range safeLs "empty" }}{{ .Key }}{{ end }}', heldBy: ['kv.list(empty)'] },
  'node (the local agent)': { from: `${DOC} node`, template: '{{ with node }}\n{{ .Node.Address }}{{ end }}', expect: '\n10.5.2.6' },
  'node in another datacenter': { from: `${DOC} node "node1@dc2"`, template: '{{ with node "node1@dc2" }}\n{{ .Node.Address }}{{ end }}', expect: '\n10.4.2.6' },
  'nodes': { from: `${DOC} nodes (our catalog holds three nodes)`, template: '{{ range nodes }}\n{{ .Address }}{{ end }}', expect: '\n10.5.2.6\n10.4.2.13\n10.46.2.5' },
  'nodes @dc2~_agent': { from: `${DOC} nodes "@dc2~_agent"`, template: '{{ range nodes "@dc2~_agent" }}\n{{ .Address }}{{ end }}', expect: '\n10.4.2.6' },
  'service (healthy instances only)': {
    from: `${DOC} service; .Name is the service name (dependency.HealthService.Name)`,
    template: '{{ range service "web" }}\nserver {{ .Name }} {{ .Address }}:{{ .Port }}{{ end }}', expect: '\nserver web 10.5.2.45:2492\nserver web 10.2.6.61:2904',
  },
  'service with tag and datacenter': {
    from: `${DOC} service "tag1.web@east-aws" (quoted: unquoted it is a Go parse error)`,
    template: '{{ range service "tag1.web@east-aws" }}\nserver {{ .Name }} {{ .Address }}:{{ .Port }}{{ end }}', expect: '\nserver web 10.9.0.1:80',
  },
  'ServiceTaggedAddresses map indexing': {
    // A missing key of map[string]api.ServiceAddress is a zero struct under missingkey=zero, and structs are true.
    from: `${DOC} service, map indexing example; template.go missingkey=zero`,
    template: '{{ range service "web" }}\n  {{ with .ServiceTaggedAddresses.wan }}\nhttp://{{ .Address }}:{{ .Port }}\n  {{ end }}\n{{ end }}',
    expect: '\n  \nhttp://198.18.0.1:80\n  \n\n  \nhttp://:0\n  \n',
  },
  'service |any': { from: `${DOC} service "web|any"`, template: '{{ range service "web|any" }}{{ .Node }}={{ .Status }} {{ end }}', expect: 'web01=passing web02=passing web03=warning web04=critical ' },
  'service |passing,warning': { from: `${DOC} service "web|passing,warning"`, template: '{{ range service "web|passing,warning" }}{{ .Node }} {{ end }}', expect: 'web01 web02 web03 ' },
  'service with the filter as a second argument': {
    from: 'funcs.go serviceFunc: strings.Join(s, "|")', template: '{{ range service "web" "passing,warning" }}{{ .Node }} {{ end }}', expect: 'web01 web02 web03 ',
  },
  'service with an unknown filter': {
    from: 'health_service.go healthServiceQuery invalid filter; exec.go ErrorContext cuts the node text at 20 bytes', template: '{{ service "web|healthy" }}',
    error: 'template: :1:3: executing "" at <service "web|healthy...>: error calling service: health.service: invalid filter: "healthy" in "web|healthy"',
  },
  'service before Consul answers': {
    from: `${DOC} multi-phase execution`, template: '{{ range service "web" }}x{{ end }}', data: { notYet: new Set(['health.service(web|passing)']) },
    expect: '', heldBy: ['health.service(web|passing)'],
  },
  'services': {
    from: `${DOC} services`, template: '{{ range services }}\n{{ .Name }}: {{ .Tags | join "," }}{{ end }}', expect: '\nconsul: \nredis: \nweb: production,tag1,tag2',
  },
  'tree': {
    from: `${DOC} tree`, template: '{{ range tree "service/redis" }}\n{{ .Key }}:{{ .Value }}{{ end }}', expect: '\nmaxconns:15\nminconns:5\nnested/config/value:"value"',
  },
  'safeTree of an empty prefix refuses to render': { from: `${DOC} safeTree`, template: '{{ range safeTree "empty" }}{{ .Key }}{{ end }}', heldBy: ['kv.list(empty)'] },
  'a misspelt field fails with Go\'s error': {
    from: 'text/template exec.go evalField; issue 17 (.Adress)', template: '{{ range service "web" }}\nserver {{ .Adress }}:{{ .Port }}{{ end }}',
    error: 'template: :2:10: executing "" at <.Adress>: can\'t evaluate field Adress in type *dependency.HealthService',
  },
  'a missing ServiceMeta key is empty under missingkey=zero': {
    from: 'template.go Option("missingkey=zero"): zero of map[string]string', template: '{{ range service "web" }}[{{ .ServiceMeta.version }}]{{ end }}', expect: '[][]',
  },
  'error_on_missing_key': {
    from: `${DOC} secret: error_on_missing_key; template.go missingkey=error; parse.go operand: a chain sits at its second field`, errorOnMissingKey: true,
    template: '{{ range service "web" }}{{ .ServiceMeta.version }}{{ end }}',
    error: 'template: :1:40: executing "" at <.ServiceMeta.version>: map has no entry for key "version"',
  },
  'a missing key of parsed JSON prints <no value>': {
    from: `${DOC} parseJSON; missingkey=zero on map[string]interface{} (Go issue 24963)`,
    template: '{{ with $d := key "user/info" | parseJSON }}{{ $d.name }} {{ $d.email }}{{ end }}', expect: 'alice <no value>',
  },
  'range over service with else when there is no instance': {
    from: 'text/template range/else; nginx example', template: '{{ range service "nothing" }}x{{ else }}none{{ end }}', expect: 'none',
  },
  'dependent queries: services then service of each': {
    from: 'examples/services.md', template: '{{ range services }}# {{ .Name }}{{ range service .Name }}\n{{ .Address }}{{ end }}\n\n{{ end }}',
    expect: '# consul\n10.0.0.1\n\n# redis\n10.1.0.1\n10.1.0.2\n10.1.0.3\n\n# web\n10.5.2.45\n10.2.6.61\n\n',
  },
};

describe('gotemplate conformance: consul-template API functions', () => {
  runCases(API_CASES);
});
