// What ships for the people who watch the stack: the scrape config and alert rules pass promtool (the rules with
// their own unit tests), every dashboard's PromQL parses, and every metric they name is in the documented table.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shippedAlerts, testPrometheusConfig } from '../e2e/stack-prometheus';
import { REPO } from './deploy-fixtures';

const PROMETHEUS_DIR = join(REPO, 'deploy', 'prometheus');
const GRAFANA_DIR = join(REPO, 'deploy', 'grafana');

function promtool(args: string[], cwd = PROMETHEUS_DIR): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw new Error(`promtool could not run (apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface DashboardTarget {
  expr: string;
}
interface DashboardPanel {
  title: string;
  type: string;
  targets: DashboardTarget[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
}

function dashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(GRAFANA_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8')) as Dashboard }));
}

/** Metric names in a PromQL expression: identifiers before `{`, `[` or `)`/space that are not functions or keywords. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""');
  const keywords = new Set(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'le', 'time']);
  const names = new Set<string>();
  for (const match of withoutStrings.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)) {
    const name = match[1];
    const before = withoutStrings.slice(0, match.index);
    if (keywords.has(name)) continue;
    if (/(by|without|on|ignoring)\s*\([^)]*$/.test(before)) continue; // a label list
    if (/\{[^}]*$/.test(before)) continue; // a label name inside a selector
    if (/^\d/.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** The metric names the operator docs list (the first column of every metrics table in deploy/README.md). */
function documentedMetrics(): Set<string> {
  const readme = readFileSync(join(REPO, 'deploy', 'README.md'), 'utf8');
  return new Set([...readme.matchAll(/^\| `([a-z_:][a-z0-9_:]*)`/gm)].map((m) => m[1]));
}

describe('monitoring artefacts: Prometheus config, alert rules, dashboards', function () {
  this.timeout(60_000);

  it('the scrape config and the rules it loads pass promtool check config', () => {
    const { status, output } = promtool(['check', 'config', 'prometheus.yml']);
    expect(status, output).to.equal(0);
    expect(output).to.include('SUCCESS');
  });

  it("the stack e2e's Prometheus config (the shipped one, 1 s intervals, the run's ports) passes promtool, and a job without a port is refused", () => {
    const work = mkdtempSync(join(tmpdir(), 'cs-prom-config-'));
    try {
      const ports = { registrator: 40001, renderer: 40002, healer: 40003, 'f5-sync': 40004 };
      const config = testPrometheusConfig(ports);
      for (const port of Object.values(ports)) expect(config).to.include(`"127.0.0.1:${port}"`);
      expect(config).to.match(/scrape_interval: 1s/).and.match(/evaluation_interval: 1s/).and.not.include('127.0.0.1:9464');
      writeFileSync(join(work, 'prometheus.yml'), config);
      const { status, output } = promtool(['check', 'config', 'prometheus.yml'], work);
      expect(status, output).to.equal(0);
      expect(output).to.include(`SUCCESS: ${shippedAlerts().length} rules found`);
      expect(() => testPrometheusConfig({ registrator: 1, renderer: 2, healer: 3 })).to.throw('no port for the shipped scrape jobs f5-sync');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("every alert passes its promtool unit tests (fires for its fault, quiet without it, resolves after)", () => {
    const { status, output } = promtool(['test', 'rules', 'tests/consul-sidecars.test.yml']);
    expect(status, output).to.equal(0);
  });

  it('every alert rule has a unit test, a severity and a summary', () => {
    const rules = readFileSync(join(PROMETHEUS_DIR, 'rules', 'consul-sidecars.rules.yml'), 'utf8');
    const tests = readFileSync(join(PROMETHEUS_DIR, 'tests', 'consul-sidecars.test.yml'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(alerts.length).to.be.at.least(12);
    for (const alert of alerts) {
      expect(tests, `${alert} has no unit test`).to.match(new RegExp(`alertname: ${alert}\\b[\\s\\S]*?exp_alerts:\\s*\\n\\s*- exp_labels`));
      const body = rules.slice(rules.indexOf(`- alert: ${alert}`)).split(/\n\s*- alert: /)[0];
      expect(body, alert).to.match(/severity: (critical|warning|info)/).and.match(/summary: /);
    }
  });

  it("a broken rule fails promtool's unit test (the tests can fail)", () => {
    const work = mkdtempSync(join(tmpdir(), 'cs-rules-'));
    try {
      const rules = readFileSync(join(PROMETHEUS_DIR, 'rules', 'consul-sidecars.rules.yml'), 'utf8').replace('f5sync_snat_utilisation_ratio) > 0.8', 'f5sync_snat_utilisation_ratio) > 0.95');
      writeFileSync(join(work, 'rules.yml'), rules);
      const tests = readFileSync(join(PROMETHEUS_DIR, 'tests', 'consul-sidecars.test.yml'), 'utf8').replace('../rules/consul-sidecars.rules.yml', join(work, 'rules.yml'));
      writeFileSync(join(work, 'tests.yml'), tests);
      const { status, output } = promtool(['test', 'rules', join(work, 'tests.yml')]);
      expect(status).to.not.equal(0);
      expect(output).to.include('F5SyncSnatNearExhaustion');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('one dashboard per daemon plus the chain, each with a unique uid and panels that all have queries', () => {
    const found = dashboards();
    expect(found.map((d) => d.file).sort()).to.deep.equal(['chain.json', 'f5-sync.json', 'healer.json', 'registrator.json', 'renderer.json']);
    expect(new Set(found.map((d) => d.dashboard.uid)).size).to.equal(found.length);
    for (const { file, dashboard } of found) {
      expect(dashboard.panels.length, file).to.be.at.least(6);
      for (const panel of dashboard.panels) expect(panel.targets.length, `${file}: ${panel.title}`).to.be.at.least(1);
    }
  });

  it("every dashboard expression parses as PromQL (promtool check rules on each, Grafana's variables filled in)", () => {
    const work = mkdtempSync(join(tmpdir(), 'cs-dashboards-'));
    try {
      const lines = ['groups:', '  - name: dashboard-expressions', '    rules:'];
      let n = 0;
      for (const { file, dashboard } of dashboards()) {
        for (const panel of dashboard.panels) {
          for (const target of panel.targets) {
            const expr = target.expr.replace(/\$instance/g, '.+').replace(/\$__rate_interval/g, '5m');
            lines.push(`      - record: dashboard:${file.replace(/\W/g, '_')}:${n++}`, `        expr: ${JSON.stringify(expr)}`);
          }
        }
      }
      writeFileSync(join(work, 'expressions.yml'), `${lines.join('\n')}\n`);
      const { status, output } = promtool(['check', 'rules', join(work, 'expressions.yml')], work);
      expect(status, output).to.equal(0);
      expect(output).to.include(`SUCCESS: ${n} rules found`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("deploy/README.md's operator tables match what ships: every alert with its severity and for, every dashboard's panels", () => {
    const readme = readFileSync(join(REPO, 'deploy', 'README.md'), 'utf8');
    const rules = readFileSync(join(PROMETHEUS_DIR, 'rules', 'consul-sidecars.rules.yml'), 'utf8');
    const alertSection = readme.slice(readme.indexOf('\n## Alerts'), readme.indexOf('\n## Dashboards'));
    const alertRows = new Map([...alertSection.matchAll(/^\| ([A-Z]\w+) \| (\w+) \| ([^|]+) \|/gm)].map((m) => [m[1], { severity: m[2], for: m[3].trim() }]));
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect([...alertRows.keys()], 'alerts in the README table').to.deep.equal(alerts);
    for (const alert of alerts) {
      const body = rules.slice(rules.indexOf(`- alert: ${alert}`)).split(/\n\s*- alert: /)[0];
      expect(alertRows.get(alert), alert).to.deep.equal({ severity: /severity: (\w+)/.exec(body)![1], for: /\n\s+for: (\S+)/.exec(body)?.[1] ?? '—' });
    }
    for (const { file, dashboard } of dashboards()) {
      const start = readme.indexOf(`### \`${file}\``);
      expect(start, `${file} has a panel table`).to.be.greaterThan(-1);
      const section = readme.slice(start).split(/\n(?=##)/)[0];
      const rows = [...section.matchAll(/^\| (?!panel \|)(?!---)([^|]+?) \| (\w+) \|/gm)].map((m) => `${m[1]} (${m[2]})`);
      expect(rows, file).to.deep.equal(dashboard.panels.map((panel) => `${panel.title} (${panel.type})`));
    }
  });

  it('every metric the rules and dashboards name is in the documented metrics table', () => {
    const documented = documentedMetrics();
    const rules = readFileSync(join(PROMETHEUS_DIR, 'rules', 'consul-sidecars.rules.yml'), 'utf8');
    const exprs = [
      ...[...rules.matchAll(/expr: (.+)/g)].map((m) => m[1]),
      ...dashboards().flatMap(({ dashboard }) => dashboard.panels.flatMap((panel) => panel.targets.map((t) => t.expr))),
    ];
    const named = new Set(exprs.flatMap(metricNames).map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    named.delete('up');
    const missing = [...named].filter((name) => !documented.has(name));
    expect(missing, 'named in rules or dashboards, missing from deploy/README.md').to.deep.equal([]);
  });
});
