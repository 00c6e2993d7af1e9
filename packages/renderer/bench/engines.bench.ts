// Go text/template beside nunjucks, in one run: the same 1,000 services x 10 instances, the same watch data, two
// templates written to give the same bytes (an upstream per service tagged http); render time of each.
// Both go through the renderer's engines (template-engine.ts) against one in-memory dependency source, as the
// runner renders them: the Go engine's conversion of watch data is cached per answer, so warm renders are compared,
// and the first (cold) render of each is reported beside them.

import { percentile, runStandalone, type BenchResult } from '../../../bench/stats';
import { dependencyKey, type Dependency, type DependencyData, type DependencySource } from '../src/dependencies';
import { resolveRendererConfig } from '../src/config';
import { defaultEngines } from '../src/template-engine';
import { instance } from '../test/fixtures';

export type { BenchResult };

const SUITE = 'renderer engines';
const SERVICES = 1000;
const INSTANCES = 10;
const WARMUPS = 2;
const RUNS = 7;

const GO_TEMPLATE = `{{ range services }}{{ if .Tags | contains "http" }}upstream {{ .Name }} {
{{ range service .Name }}  server {{ .Address }}:{{ .Port }} weight={{ .Weights.Passing }};
{{ end }}}
{{ end }}{{ end }}`;

// trimBlocks/lstripBlocks: a `{% %}` tag's own line leaves nothing behind, so the tags sit on lines of their own.
const NUNJUCKS_TEMPLATE = `{% for s in services() %}
{% if "http" in s.Tags %}
upstream {{ s.Name }} {
{% for i in service(s.Name) %}
  server {{ i.Address }}:{{ i.Port }} weight={{ i.Weights.Passing }};
{% endfor %}
}
{% endif %}
{% endfor %}
`;

function source(): DependencySource {
  const data = new Map<string, DependencyData>();
  const services = Array.from({ length: SERVICES }, (_, s) => ({ Name: `svc-${String(s).padStart(4, '0')}`, Tags: s % 10 === 9 ? ['tcp'] : ['http'] }));
  data.set('catalog.services', services);
  for (const svc of services) {
    const dep: Dependency = { kind: 'health.service', service: svc.Name, status: 'passing' };
    data.set(dependencyKey(dep), Array.from({ length: INSTANCES }, (_, i) => instance(`${svc.Name}-${i}`, 20_000 + i, { Name: svc.Name, Address: `10.1.${i}.${s(svc.Name, i)}` })));
  }
  return { lookup: (dep) => ({ ready: true, data: data.get(dependencyKey(dep)) }) };
}

function s(name: string, i: number): number {
  return (Number(name.slice(4)) + i) % 250;
}

function measure(engine: 'go' | 'nunjucks', text: string, data: DependencySource): { cold: number; times: number[]; output: string } {
  const config = resolveRendererConfig({ templates: [{ contents: text, destination: `/tmp/bench-${engine}`, engine }] }).templates[0];
  const compiled = defaultEngines({ env: {} })(config).compile(text, engine);
  const times: number[] = [];
  let output = '';
  for (let i = 0; i < WARMUPS + RUNS; i++) {
    const started = process.hrtime.bigint();
    const out = compiled.render(data, {});
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (out.error || out.missing.length) throw new Error(`${engine} render failed: ${out.error?.message ?? out.missing.join(', ')}`);
    output = out.output;
  }
  return { cold: times[0], times: times.slice(WARMUPS), output };
}

export async function run(): Promise<BenchResult[]> {
  const data = source();
  const go = measure('go', GO_TEMPLATE, data);
  const nunjucks = measure('nunjucks', NUNJUCKS_TEMPLATE, data);
  if (go.output !== nunjucks.output) throw new Error('the two templates do not give the same bytes: the comparison would be unfair');
  const shape = `${SERVICES} services (900 tagged http) x ${INSTANCES}, ${Math.round(go.output.length / 1024)} KiB, same bytes`;
  const goP50 = percentile(go.times, 50);
  const njkP50 = percentile(nunjucks.times, 50);
  return [
    { suite: SUITE, name: 'Go template render p50', value: goP50, unit: 'ms', note: shape },
    { suite: SUITE, name: 'nunjucks render p50', value: njkP50, unit: 'ms', note: `same data, same run; ${RUNS} runs after ${WARMUPS} warm-ups` },
    { suite: SUITE, name: 'Go / nunjucks', value: goP50 / njkP50, unit: 'x', note: 'p50 ratio' },
    { suite: SUITE, name: 'Go template first render', value: go.cold, unit: 'ms', note: 'cold: the watch data converted to consul-template shapes once' },
    { suite: SUITE, name: 'nunjucks first render', value: nunjucks.cold, unit: 'ms', note: 'cold' },
  ];
}

runStandalone(module, run);
