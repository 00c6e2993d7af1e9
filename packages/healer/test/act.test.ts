import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { silentLogger } from '@consul-sidecars/core';
import { Actor } from '../src/act/actor';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { ComposeRunner, type ComposeResult } from '../src/backends/compose/compose-runner';
import type { ComposeTarget } from '../src/backends/compose/compose-target';
import { SwarmBackend } from '../src/backends/swarm/swarm-backend';
import { DEFAULT_POLICY } from '../src/desired/desired-state';
import { ERROR_CODES } from '../src/errors';
import { HealerMetrics } from '../src/metrics';
import type { ServiceDecision } from '../src/plan/plan';
import { spec } from './fixtures';

/** A compose runner that records its calls and answers from a script instead of running docker-compose. */
class ScriptedRunner extends ComposeRunner {
  readonly calls: number[] = [];
  constructor(private readonly answer: Partial<ComposeResult>) {
    super();
  }
  override async scale(_target: ComposeTarget, total: number): Promise<ComposeResult> {
    this.calls.push(total);
    this.runs++;
    return { ok: true, deterministic: false, exitCode: 0, durationMs: 1, stdout: '', stderr: '', argv: [], ...this.answer };
  }
}

function decision(actions: ServiceDecision['actions']): ServiceDecision {
  return { service: 'web', state: 'critical', min: 3, healthy: 1, starting: 0, containers: 3, failed: 2, reason: '', actions };
}

const remove = { kind: 'remove' as const, service: 'web', containers: [{ id: 'c2', name: 'web_2', reason: 'container exited' }, { id: 'c3', name: 'web_3', reason: 'container exited' }] };
const scale = { kind: 'scale' as const, service: 'web', total: 3, add: 2 };

describe('healer act: one service\'s actions through its backend', () => {
  function actor(runner: ScriptedRunner, removeContainers: (target: ComposeTarget, ids: readonly string[]) => Promise<void>) {
    const metrics = new HealerMetrics();
    const backends = { compose: new ComposeBackend({ runner, removeContainers, listContainers: async () => [] }), swarm: new SwarmBackend() };
    return { metrics, actor: new Actor({ backends, metrics, logger: silentLogger() }) };
  }

  it('removes the failed containers by id, then scales once; reports both in the backend\'s words', async () => {
    const removed: string[][] = [];
    const runner = new ScriptedRunner({});
    const { actor: a, metrics } = actor(runner, async (_t, ids) => void removed.push([...ids]));
    const { reports, outcome } = await a.carryOut(decision([remove, scale]), spec('web', 3), DEFAULT_POLICY);
    expect(outcome).to.deep.equal({ ok: true });
    expect(removed).to.deep.equal([['c2', 'c3']]);
    expect(runner.calls).to.deep.equal([3]);
    expect(reports).to.deep.equal([
      { service: 'web', kind: 'remove', ok: true, detail: 'remove web_2 (container exited), web_3 (container exited)' },
      { service: 'web', kind: 'scale', ok: true, detail: 'docker-compose -p proj up --scale web=3 (+2)' },
    ]);
    expect(await metrics.registry.metrics()).to.match(/healer_compose_runs_total\{service="web",result="ok"\} 1/);
  });

  it('a failed removal stops the service\'s actions: never scale on top of it', async () => {
    const runner = new ScriptedRunner({});
    const { actor: a } = actor(runner, async () => {
      throw new Error('daemon gone');
    });
    const { reports, outcome } = await a.carryOut(decision([remove, scale]), spec('web', 3), DEFAULT_POLICY);
    expect(outcome).to.deep.equal({ ok: false, failure: 'remove-failed', message: 'daemon gone', deterministic: false });
    expect(reports.map((r) => `${r.kind}:${r.ok}`)).to.deep.equal(['remove:false']);
    expect(runner.calls).to.deep.equal([]);
  });

  const failures: Array<[string, Partial<ComposeResult>, { failure: string; message: string; deterministic: boolean; detail: string }]> = [
    [
      'a classified compose failure keeps its name and its last lines',
      { ok: false, failure: 'image-missing', deterministic: true, exitCode: 1, stderr: 'Pulling web\nline 2\nline 3\nERROR: pull access denied\n' },
      { failure: 'image-missing', deterministic: true, message: 'line 2 | line 3 | ERROR: pull access denied', detail: 'image-missing: line 2 | line 3 | ERROR: pull access denied' },
    ],
    [
      'a silent failure says its exit code',
      { ok: false, failure: 'compose-error', deterministic: false, exitCode: 3, stderr: '' },
      { failure: 'compose-error', deterministic: false, message: 'exit 3', detail: 'compose-error: ' },
    ],
  ];
  for (const [name, answer, want] of failures) {
    it(name, async () => {
      const { actor: a, metrics } = actor(new ScriptedRunner(answer), async () => undefined);
      const { reports, outcome } = await a.carryOut(decision([scale]), spec('web', 3), DEFAULT_POLICY);
      expect(outcome).to.deep.equal({ ok: false, failure: want.failure, message: want.message, deterministic: want.deterministic });
      expect(reports).to.deep.equal([{ service: 'web', kind: 'scale', ok: false, detail: want.detail }]);
      expect(await metrics.registry.metrics()).to.match(new RegExp(`healer_actions_total\\{service="web",kind="scale",result="${want.failure}"\\} 1`));
    });
  }
});

describe('healer source hygiene', () => {
  const srcDir = join(__dirname, '../src');
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  })(srcDir);
  const sources = files.map((file) => ({ file: relative(srcDir, file), text: readFileSync(file, 'utf8') }));

  it('every error code thrown in src is in the catalogue (src/errors.ts)', () => {
    const used = new Set(sources.flatMap((s) => [...s.text.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1])));
    expect([...used].filter((code) => !(code in ERROR_CODES))).to.deep.equal([]);
  });

  it('no plain `new Error(` and no `as never` / `as unknown as` casts', () => {
    const found = sources.flatMap((s) => (/new Error\(|as never\b|as unknown as/.test(s.text) ? [s.file] : []));
    expect(found).to.deep.equal([]);
  });

  it('no src file over 350 lines', () => {
    const long = sources.filter((s) => s.text.split('\n').length > 350).map((s) => s.file);
    expect(long).to.deep.equal([]);
  });
});
