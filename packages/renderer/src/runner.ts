// The loop: Consul changes -> (quiescence) -> render every template of the group -> plan each -> apply the group's
// writes as one batch (one validation, one reload). Failures keep the last good files live and the loop running.

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError, ConfigError, errorMessage, silentLogger, type BackoffOptions, type ConsulClient, type HealthReport, type Logger } from '@consul-sidecars/core';
import { applyBatch, type ApplyOptions, type BatchOutcome } from './batch-apply';
import type { RendererConfig, TemplateConfig, WaitConfig } from './config';
import { dependencyQuery, type Dependency, type RejectListener } from './observe';
import { readFileState, type FileOps, type FileState } from './file-swap';
import { createRendererMetrics, type RendererMetrics } from './metrics';
import { Quiescence } from './quiescence';
import { instanceGuard, planRender, type RenderPlan } from './render-plan';
import { peersFromInstances, type UpstreamPeer } from './upstream-peers';
import { UpstreamPusher, type PushOutcome } from './upstream-pusher';
import { checkLuaModule } from './lua-check';
import { TemplateEnvironment, type CompiledTemplate, type RenderOutcome } from './template-env';
import { WatcherPool, type QueryFactory } from './observe/watcher-pool';

/** The Lua files nginx loads in no-reload mode (lua_package_path "<dir>/?.lua"): templates read it as rendererLuaDir. */
export const LUA_DIR = join(__dirname, '..', 'lua');

export type TemplateStatus = 'pending' | 'ok' | 'held' | 'failed' | 'error';

export interface TemplateReport {
  destination: string;
  group: string;
  status: TemplateStatus;
  /** The planner's reason, or why it failed. */
  reason?: string;
  detail?: string;
  instances?: number;
  /** Dependencies that have not answered yet (status pending). */
  missing?: string[];
  lastSuccessAt?: string;
}

export interface BatchEvent {
  group: string;
  destinations: string[];
  outcome: BatchOutcome;
}

export interface RunnerEvents {
  /** After each planned render of a template. */
  template: [report: TemplateReport];
  /** After each applied batch (write, validate, reload), successful or not. */
  batch: [event: BatchEvent];
}

export interface RunnerOptions {
  config: RendererConfig;
  /** The Consul client the watchers read through; or `query` to supply data another way (tests). */
  consul?: ConsulClient;
  query?: QueryFactory;
  logger?: Logger;
  metrics?: RendererMetrics;
  /** What `env()` reads in templates. */
  env?: NodeJS.ProcessEnv;
  /** Where --dry-run prints. */
  out?: NodeJS.WritableStream;
  fileOps?: FileOps;
  run?: ApplyOptions['run'];
  /** Backoff of failed Consul queries (default 250 ms doubling to 30 s). */
  backoff?: Partial<BackoffOptions>;
}

export interface OnceReport {
  ok: boolean;
  templates: TemplateReport[];
}

interface TemplateState {
  config: TemplateConfig;
  compiled: CompiledTemplate;
  used: Map<string, Dependency>;
  status: TemplateStatus;
  /** A render went live or matched the file on disk: quiescence applies from now on. */
  firstDone: boolean;
  lastGoodInstances?: number;
  knownBad?: string;
  dropSeenSince?: number;
  lastPrinted?: string;
  report: TemplateReport;
  /** No-reload mode: pushes what the template passed to pushUpstream() into nginx. */
  pusher?: UpstreamPusher;
  /** No-reload mode: the Lua check's error ('' when it passed), once per start and per SIGHUP. */
  luaCheck?: Promise<string>;
}

interface GroupState {
  name: string;
  templates: TemplateState[];
  quiescence: Quiescence;
  queued: boolean;
}

interface PlannedWrite {
  state: TemplateState;
  outcome: RenderOutcome;
  previous: FileState;
  plan: RenderPlan;
}

interface PlannedPush {
  state: TemplateState;
  outcome: RenderOutcome;
  peers: Map<string, UpstreamPeer[]>;
  /** Why the file is (not) being written: the report's reason when the push alone went through. */
  reason: string;
  /** The file is known bad (its last good version stays): push the members, keep that failure as the report. */
  fileResult?: string;
}

function templateText(config: TemplateConfig): { text: string; name: string } {
  if (config.contents !== undefined) return { text: config.contents, name: `inline:${config.destination}` };
  try {
    return { text: readFileSync(config.source as string, 'utf8'), name: config.source as string };
  } catch (err) {
    throw new ConfigError(`template source ${config.source}: ${errorMessage(err)}`, { field: 'source', value: config.source });
  }
}

/** The group's wait: the widest of its templates' waits, so one timer serves the whole group. */
function groupWait(templates: TemplateConfig[], fallback: WaitConfig): WaitConfig {
  const waits = templates.map((t) => t.wait ?? fallback);
  return { minMs: Math.max(...waits.map((w) => w.minMs)), maxMs: Math.max(...waits.map((w) => w.maxMs)) };
}

export class Runner extends EventEmitter<RunnerEvents> {
  readonly metrics: RendererMetrics;
  readonly pool: WatcherPool;
  /** Counts for tests and benchmarks. */
  readonly stats = { renders: 0, batches: 0, validations: 0, reloads: 0, failedBatches: 0, pushes: 0, failedPushes: 0, restores: 0 };
  private readonly config: RendererConfig;
  private readonly logger: Logger;
  private readonly templateEnv: TemplateEnvironment;
  private readonly states: TemplateState[];
  private readonly groups = new Map<string, GroupState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly rejected = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;
  private settledListeners: (() => void)[] = [];

  constructor(private readonly options: RunnerOptions) {
    super();
    this.config = options.config;
    this.logger = options.logger ?? silentLogger();
    this.metrics = options.metrics ?? createRendererMetrics();
    this.templateEnv = new TemplateEnvironment({ env: options.env });
    if (!options.query && !options.consul) throw new ConfigError('the runner needs a Consul client (or a query factory)');
    const onReject: RejectListener = (what, value, context) => this.onReject(what, value, context);
    const query: QueryFactory = options.query ?? ((dep) => dependencyQuery(options.consul as ConsulClient, dep, onReject));
    this.pool = new WatcherPool({
      query,
      logger: this.logger,
      waitSeconds: this.config.consul.waitSeconds,
      backoff: options.backoff ?? { maxMs: this.config.consul.retryMaxMs },
    });
    this.pool.on('change', (key) => {
      this.metrics.consulReachable.set(this.pool.healthy ? 1 : 0);
      this.onDependencyChange(key);
    });
    this.pool.on('error', () => {
      this.metrics.consulErrors.inc();
      this.metrics.consulReachable.set(0);
    });
    this.pool.on('recovered', () => this.metrics.consulReachable.set(this.pool.healthy ? 1 : 0));

    this.states = this.config.templates.map((config) => {
      const { text, name } = templateText(config);
      return {
        config,
        compiled: this.templateEnv.compile(text, name),
        used: new Map(),
        status: 'pending' as TemplateStatus,
        firstDone: false,
        report: { destination: config.destination, group: config.group, status: 'pending' as TemplateStatus },
      };
    });
    for (const state of this.states) if (state.config.upstreamPush) state.pusher = this.createPusher(state);
    const byGroup = new Map<string, TemplateState[]>();
    for (const s of this.states) byGroup.set(s.config.group, [...(byGroup.get(s.config.group) ?? []), s]);
    for (const [name, templates] of byGroup) {
      const group: GroupState = { name, templates, queued: false, quiescence: undefined as unknown as Quiescence };
      group.quiescence = new Quiescence(groupWait(templates.map((t) => t.config), this.config.wait), () => this.queueGroup(group));
      this.groups.set(name, group);
    }
  }

  /** Renders every template once now; later renders follow Consul changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.logger.info({ templates: this.states.length, groups: this.groups.size, dryRun: this.config.dryRun }, 'renderer starting');
    if (!this.config.dryRun && !this.config.once) for (const s of this.states) s.pusher?.start();
    for (const group of this.groups.values()) this.queueGroup(group);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const group of this.groups.values()) group.quiescence.cancel();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.chain;
    await Promise.all(this.states.map((s) => s.pusher?.stop()));
    await this.pool.stopAll();
  }

  /** Resolves when no batch is queued or running (tests, benchmarks). */
  async whenIdle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.chain;
      await seen;
    } while (seen !== this.chain);
  }

  reports(): TemplateReport[] {
    return this.states.map((s) => ({ ...s.report }));
  }

  health(): HealthReport {
    const reachable = this.pool.healthy;
    const templates = this.reports();
    const failing = templates.filter((t) => t.status === 'failed' || t.status === 'error');
    return { ok: reachable && failing.length === 0, consul: reachable ? 'reachable' : 'unreachable', watchers: this.pool.size, templates };
  }

  /** --once: render each template once, wait until every one has settled (or the timeout), then stop. */
  async runOnce(): Promise<OnceReport> {
    const timeoutMs = this.config.onceTimeoutMs;
    this.start();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const check = () => {
        if (this.states.every((s) => s.status !== 'pending') && [...this.groups.values()].every((g) => !g.queued)) done();
      };
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.settledListeners.push(check);
      check();
    });
    this.settledListeners = [];
    await this.stop();
    const templates = this.reports();
    return { ok: templates.every((t) => t.status === 'ok'), templates };
  }

  /** SIGHUP: re-read template sources (a broken one keeps its previous version) and render everything. */
  reloadTemplates(): void {
    for (const state of this.states) {
      try {
        const { text, name } = templateText(state.config);
        state.compiled = this.templateEnv.compile(text, name);
        state.knownBad = undefined;
        state.luaCheck = undefined;
      } catch (err) {
        this.logger.error({ template: state.config.destination, err: errorMessage(err) }, 'template did not compile; keeping the previous version');
      }
    }
    for (const group of this.groups.values()) this.queueGroup(group);
  }

  private onReject(what: string, value: unknown, context: string): void {
    const id = `${what}:${String(value)}:${context}`;
    if (this.rejected.has(id)) return;
    this.rejected.add(id);
    this.metrics.rejectedValues.inc({ what });
    this.logger.warn({ what, value, context }, `${what} dropped: it would break the config syntax`);
  }

  private onDependencyChange(key: string): void {
    for (const group of this.groups.values()) {
      if (!group.templates.some((t) => t.used.has(key))) continue;
      // No quiescence before the first render (consul-template #703) nor in --once mode.
      if (this.config.once || group.templates.some((t) => !t.firstDone)) this.queueGroup(group);
      else group.quiescence.tick();
    }
  }

  private queueGroup(group: GroupState): void {
    if (this.stopped || group.queued) return;
    group.queued = true;
    // One chain for all groups: batches never overlap, which is the lock the swap-in validation relies on.
    this.chain = this.chain
      .then(async () => {
        group.queued = false;
        if (!this.stopped) await this.processGroup(group);
      })
      .catch((err) => this.logger.error({ group: group.name, err: errorMessage(err) }, 'batch failed unexpectedly; will retry on the next change'))
      .finally(() => {
        for (const listener of this.settledListeners) listener();
      });
  }

  private setReport(state: TemplateState, patch: Omit<TemplateReport, 'destination' | 'group'>): void {
    state.status = patch.status;
    state.report = { destination: state.config.destination, group: state.config.group, lastSuccessAt: state.report.lastSuccessAt, ...patch };
    this.emit('template', { ...state.report });
  }

  private markGood(state: TemplateState, instances: number, reason: string): void {
    state.firstDone = true;
    state.lastGoodInstances = instances;
    state.knownBad = undefined;
    state.dropSeenSince = undefined;
    state.report.lastSuccessAt = new Date().toISOString();
    this.metrics.lastSuccess.set({ template: state.config.destination }, Date.now() / 1000);
    this.setReport(state, { status: 'ok', reason, instances });
  }

  private createPusher(state: TemplateState): UpstreamPusher {
    const push = state.config.upstreamPush as NonNullable<TemplateConfig['upstreamPush']>;
    const destination = state.config.destination;
    const pusher = new UpstreamPusher({
      url: push.url,
      intervalMs: push.intervalMs,
      timeoutMs: push.timeoutMs,
      rejectEmpty: state.config.guard.rejectEmptyUpstreams,
      logger: this.logger.child({ template: destination, push: push.url }),
    });
    pusher.on('push', (outcome) => {
      this.stats.pushes++;
      if (!outcome.ok) this.stats.failedPushes++;
      this.metrics.upstreamPushes.inc({ template: destination, result: outcome.ok ? 'ok' : 'failed' });
    });
    pusher.on('restored', (upstreams) => {
      this.stats.restores++;
      this.metrics.upstreamRestores.inc({ template: destination });
      this.logger.info({ template: destination, upstreams }, 'nginx restarted: every upstream pushed again');
      if (state.status === 'failed' && state.report.reason === 'push-failed') this.markGood(state, state.lastGoodInstances ?? 0, 'pushed');
    });
    pusher.on('recovered', () => {
      if (state.status === 'failed' && state.report.reason === 'push-failed') this.markGood(state, state.lastGoodInstances ?? 0, 'pushed');
    });
    return pusher;
  }

  private async processGroup(group: GroupState): Promise<void> {
    const writes: PlannedWrite[] = [];
    const pushes: PlannedPush[] = [];
    for (const state of group.templates) {
      const planned = await this.renderAndPlan(state, group);
      if (planned.write) writes.push(planned.write);
      if (planned.push) pushes.push(planned.push);
    }
    const keep = new Set<string>();
    for (const s of this.states) for (const key of s.used.keys()) keep.add(key);
    await this.pool.retain(keep);
    this.metrics.watchers.set(this.pool.size);
    if (writes.length === 0 && pushes.length === 0) return;

    if (this.config.dryRun) {
      for (const w of writes) this.printDryRun(w);
      for (const p of pushes) this.printDryRunPush(p);
      return;
    }
    // Members first: a new upstream has its peers before the reload that makes its server block live, so it never
    // answers the 503 fallback. Until the first write the endpoint may not exist yet; the second round covers that.
    const early = new Map<TemplateState, PushOutcome>();
    const writing = new Set(writes.map((w) => w.state));
    for (const p of pushes) {
      // Never reached nginx's endpoint yet (the write may be the one that creates it): members go after the reload.
      if (writing.has(p.state) && !(p.state.pusher as UpstreamPusher).reached) continue;
      early.set(p.state, await (p.state.pusher as UpstreamPusher).apply(p.peers, { prune: false }));
    }
    const results = writes.length > 0 ? await this.applyWrites(group, writes) : {};
    for (const p of pushes) {
      const fileResult = results[p.state.config.destination] ?? p.fileResult;
      // Upstreams leave nginx only after the server blocks that used them are gone.
      const prune = fileResult === undefined || fileResult === 'ok';
      // Cheap when the early push went through: only what is still missing (or to prune) is sent.
      // After a reload the endpoint may take a moment to listen (its first reload creates it).
      const outcome = await (p.state.pusher as UpstreamPusher).apply(p.peers, { prune, retryForMs: fileResult === 'ok' ? 2000 : 0 });
      const first = early.get(p.state);
      this.reportPush(p, { ...outcome, set: [...new Set([...(first?.set ?? []), ...outcome.set])] }, fileResult);
    }
  }

  private reportPush(p: PlannedPush, outcome: PushOutcome, fileResult: string | undefined): void {
    const destination = p.state.config.destination;
    const log = this.logger.child({ template: destination });
    if (outcome.set.length > 0 || outcome.removed.length > 0) {
      log[outcome.ok ? 'info' : 'error']({ set: outcome.set, removed: outcome.removed, error: outcome.error }, outcome.ok ? 'upstreams pushed to nginx (no reload)' : 'upstream push failed; nginx keeps its current peers, retrying');
    }
    for (const hold of outcome.held) {
      this.metrics.guardHolds.inc({ template: destination, reason: hold.reason });
      log.warn({ upstream: hold.upstream, detail: hold.detail }, 'guard held the upstream\'s last good peers');
    }
    if (fileResult !== undefined && fileResult !== 'ok') return; // the file's failure is the report
    if (!outcome.ok) {
      this.setReport(p.state, { status: 'failed', reason: 'push-failed', detail: outcome.error, instances: p.outcome.instances });
    } else if (outcome.held.length > 0) {
      this.setReport(p.state, { status: 'held', reason: 'empty-upstream', detail: outcome.held.map((h) => h.detail).join('; '), instances: p.outcome.instances });
    } else {
      this.markGood(p.state, p.outcome.instances, fileResult === 'ok' ? (p.state.report.reason ?? p.reason) : p.reason);
    }
  }

  private printDryRunPush(p: PlannedPush): void {
    const out = this.options.out ?? process.stdout;
    const lines = [...p.peers].map(([name, peers]) => `#   ${name}: ${peers.map((x) => `${x.address}:${x.port}${x.weight > 1 ? ` weight=${x.weight}` : ''}${x.backup ? ' backup' : ''}${x.down ? ' down' : ''}`).join(', ') || '(none)'}`);
    out.write(`# renderer dry-run: would push upstreams of ${p.state.config.destination}\n${lines.join('\n')}\n`);
  }

  private async renderAndPlan(state: TemplateState, group: GroupState): Promise<{ write?: PlannedWrite; push?: PlannedPush }> {
    const destination = state.config.destination;
    const log = this.logger.child({ template: destination, group: group.name });
    this.stats.renders++;
    const outcome: RenderOutcome = this.templateEnv.render(state.compiled, this.pool, { vars: state.config.vars, destination, guard: state.config.guard, rendererLuaDir: LUA_DIR });
    state.used = outcome.used;
    if (outcome.missing.length > 0 || outcome.blockedOn.length > 0) {
      // Data still missing: an error now is most likely the template meeting the empty placeholder values.
      this.metrics.renders.inc({ template: destination, result: 'pending' });
      const missing = [...outcome.missing, ...outcome.blockedOn];
      log.debug({ missing, err: outcome.error?.message }, 'waiting for every dependency to answer before writing');
      if (state.status !== 'ok' || !state.firstDone) this.setReport(state, { status: 'pending', reason: 'waiting-for-dependencies', missing });
      return {};
    }
    if (!outcome.error && outcome.upstreams.size > 0 && !state.pusher) {
      outcome.error = new CodedError('ERR_CONFIG', `template ${state.compiled.name}: pushUpstream() needs "upstreamPush": {"url": ...} in this template's config`);
    }
    if (outcome.error) {
      this.metrics.renderErrors.inc({ template: destination });
      this.metrics.renders.inc({ template: destination, result: 'error' });
      log.error({ err: outcome.error.message }, 'template failed to render; the last good file stays');
      this.setReport(state, { status: 'error', reason: outcome.error.message });
      return {};
    }

    const luaError = await this.luaCheck(state);
    if (luaError) {
      this.metrics.renders.inc({ template: destination, result: 'error' });
      log.error({ err: luaError }, 'the shipped Lua does not load in nginx; nothing written or pushed, the live config stays');
      this.setReport(state, { status: 'error', reason: 'lua-check-failed', detail: luaError });
      return {};
    }

    const previous = await readFileState(destination);
    const now = Date.now();
    // No-reload mode: instance changes may leave the file as it is, so the instance guard looks at the push too.
    const pushGuard = state.pusher ? instanceGuard({ ...outcome, lastGoodInstances: state.lastGoodInstances, dropSeenSince: state.dropSeenSince, now, guard: state.config.guard }) : undefined;
    const plan = pushGuard?.action === 'hold' ? pushGuard : planRender({
      rendered: outcome.output,
      onDisk: this.config.dryRun ? (state.lastPrinted ?? previous.content?.toString('utf8') ?? null) : (previous.content?.toString('utf8') ?? null),
      instances: outcome.instances,
      usesServices: outcome.usesServices,
      lastGoodInstances: state.lastGoodInstances,
      knownBad: state.knownBad,
      dropSeenSince: state.dropSeenSince,
      now,
      guard: state.config.guard,
    });

    if (plan.action === 'hold') {
      if (plan.reason === 'sudden-drop') {
        if (state.dropSeenSince === undefined) {
          state.dropSeenSince = now;
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.queueGroup(group);
          }, state.config.guard.dropHoldMs + 10);
          this.timers.add(timer);
        }
      } else {
        state.dropSeenSince = undefined;
      }
      this.metrics.guardHolds.inc({ template: destination, reason: plan.reason });
      this.metrics.renders.inc({ template: destination, result: 'held' });
      log.warn({ reason: plan.reason, detail: plan.detail, instances: outcome.instances }, 'guard held the last good file');
      this.setReport(state, { status: 'held', reason: plan.reason, detail: plan.detail, instances: outcome.instances });
      return {};
    }
    if (plan.reason !== 'drop-confirmed' && pushGuard?.reason !== 'drop-confirmed') state.dropSeenSince = undefined;
    const push: PlannedPush | undefined = state.pusher ? { state, outcome, peers: this.peersOf(outcome, destination), reason: pushGuard?.reason ?? 'pushed' } : undefined;

    if (plan.action === 'skip') {
      this.metrics.renders.inc({ template: destination, result: plan.reason });
      if (push) {
        // The file stays as it is (or is known bad): the members still go to nginx, and the push reports.
        if (plan.reason === 'unchanged') return { push };
        this.setReport(state, { status: 'failed', reason: plan.reason, detail: plan.detail, instances: outcome.instances });
        return { push: { ...push, fileResult: plan.reason } };
      }
      if (plan.reason === 'unchanged') {
        if (state.status !== 'ok') log.info({ instances: outcome.instances }, 'rendered output matches the file on disk');
        this.markGood(state, outcome.instances, plan.reason);
      } else {
        this.setReport(state, { status: 'failed', reason: plan.reason, detail: plan.detail, instances: outcome.instances });
      }
      return {};
    }
    return { write: { state, outcome, previous, plan }, push };
  }

  private luaCheck(state: TemplateState): Promise<string> {
    const push = state.config.upstreamPush;
    if (!push?.checkLua || this.config.dryRun) return Promise.resolve('');
    state.luaCheck ??= checkLuaModule({ nginx: push.nginx, luaDir: LUA_DIR, modules: push.luaModules }).then((r) => (r.ok ? '' : r.output || 'the Lua check failed'));
    return state.luaCheck;
  }

  private peersOf(outcome: RenderOutcome, destination: string): Map<string, UpstreamPeer[]> {
    const peers = new Map<string, UpstreamPeer[]>();
    for (const [name, instances] of outcome.upstreams) {
      peers.set(name, peersFromInstances(instances, (instance, reason) => this.onReject('address', instance.Address, `${destination}: ${name}/${instance.ID}: ${reason}`)));
    }
    return peers;
  }

  private printDryRun(write: PlannedWrite): void {
    const out = this.options.out ?? process.stdout;
    out.write(`# renderer dry-run: would write ${write.state.config.destination} (${write.plan.reason})\n${write.outcome.output}${write.outcome.output.endsWith('\n') ? '' : '\n'}`);
    write.state.lastPrinted = write.outcome.output;
    this.metrics.renders.inc({ template: write.state.config.destination, result: 'dry-run' });
    this.markGood(write.state, write.outcome.instances, 'dry-run');
  }

  /** Writes, validates and reloads the batch; answers each destination's result ('ok' when it went live). */
  private async applyWrites(group: GroupState, writes: PlannedWrite[]): Promise<Record<string, string>> {
    const started = Date.now();
    const outcome = await applyBatch(
      group.name,
      writes.map((w) => ({ template: w.state.config, output: w.outcome.output, previous: w.previous })),
      { logger: this.logger, fileOps: this.options.fileOps, run: this.options.run },
    );
    this.stats.batches++;
    for (const c of outcome.commands) {
      if (c.kind === 'validate') this.stats.validations++;
      else this.stats.reloads++;
      this.metrics.commandRuns.inc({ group: group.name, kind: c.kind, result: c.result.ok ? 'ok' : 'failed' });
    }
    this.metrics.batchSeconds.observe({ group: group.name }, (Date.now() - started) / 1000);
    const destinations = writes.map((w) => w.state.config.destination);

    for (const w of outcome.written) this.metrics.writes.inc({ template: w.destination, method: w.method });
    if (outcome.result !== 'ok') {
      this.stats.failedBatches++;
      if (Object.values(outcome.results).includes('validation-failed')) this.metrics.validationFailures.inc({ group: group.name });
      if (Object.values(outcome.results).includes('reload-failed')) this.metrics.reloadFailures.inc({ group: group.name });
    }
    for (const w of writes) {
      const destination = w.state.config.destination;
      const result = outcome.results[destination];
      if (result === 'ok') {
        this.metrics.renders.inc({ template: destination, result: 'written' });
        this.markGood(w.state, w.outcome.instances, w.plan.reason);
      } else {
        w.state.knownBad = w.outcome.output;
        this.metrics.renders.inc({ template: destination, result: 'failed' });
        this.setReport(w.state, { status: 'failed', reason: result, detail: outcome.errors[destination], instances: w.outcome.instances });
        this.logger.error({ group: group.name, template: destination, result, error: outcome.errors[destination] }, 'template not put live; its last good file stays, retrying on the next change');
      }
    }
    if (outcome.written.length > 0) {
      this.logger.info({ group: group.name, written: outcome.written, commands: outcome.commands.map((c) => c.command), ms: Date.now() - started }, 'rendered, validated and reloaded');
    }
    this.emit('batch', { group: group.name, destinations, outcome });
    return outcome.results;
  }
}
