// The loop, and only its sequence: Consul changes (observe/) -> quiescence -> render every template of the group
// -> plan each (plan/, pure) -> act on the group as one batch (act/: one validation, one reload, the pushes).
// Failures keep the last good files live and the loop running.

import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { armCrashPoint, ConfigError, errorCodeOf, errorMessage, SerialQueue, silentLogger, type HealthReport, type Logger } from '@consul-sidecars/core';
import { dryRunPushText, dryRunWriteText } from './act/dry-run';
import { readFileState, type FileState } from './act/file-swap';
import { recoverJournals } from './act/journal-recovery';
import { checkLuaModule } from './act/lua-check';
import { createPusher, recordPush, type PlannedPush } from './act/nginx-push';
import { recordStep } from './act/record-step';
import type { PushOutcome } from './act/upstream-pusher';
import { writeBatch, type PlannedWrite, type RunnerStats } from './act/write-batch';
import type { RendererConfig, WaitConfig } from './config';
import { CRASH_POINT_NAMES } from './crash-points';
import { createRendererMetrics, type RendererMetrics } from './metrics';
import type { OnceReport, RunnerEvents, RunnerOptions } from './runner-options';
import { feedQueryFactory, type RejectListener } from './observe';
import { WatcherPool, type QueryFactory } from './observe/watcher-pool';
import { planPushAhead } from './plan/push-ahead';
import { pushAfterWrite, pushBeforeWrite } from './plan/push-round';
import { groupWait, onceSettled, onDependencyChange } from './plan/schedule';
import { dataFailures, isDataError, planRendered, planTemplate, type TemplateStep } from './plan/template-step';
import { peersFromInstances, type UpstreamPeer } from './plan/upstream-peers';
import type { ServiceInstance } from './observe';
import { PUSH_SECRET_FILE_ENV } from './act/push-secret';
import { Quiescence } from './quiescence';
import { defaultEngines, type EngineSelector } from './template-engine';
import type { RenderOutcome } from './template-env';
import { templateText } from './template-source';
import { newTemplateState, TemplateReports, type TemplateReport, type TemplateState } from './template-state';

export type { TemplateReport, TemplateStatus } from './template-state';

/** The Lua files nginx loads in no-reload mode (lua_package_path "<dir>/?.lua"): templates read it as rendererLuaDir. */
export const LUA_DIR = join(__dirname, '..', 'lua');

export type { BatchEvent, OnceReport, PassEvent, PassTemplate, RunnerEvents, RunnerOptions } from './runner-options';

/** A template error that stops the runner (the template's `errorFatal`, consul-template's error_fatal). */
export interface RunnerFatal {
  destination: string;
  /** The template's source path, or `inline:<destination>`. */
  template: string;
  /** The execution error, naming the template (`template NAME: template: :2:10: executing ...`). */
  message: string;
}

/** Thrown out of a pass to abandon it (no file of the group is written), then emitted as `fatal`. */
class TemplateFatalError extends Error {
  constructor(readonly fatal: RunnerFatal) {
    super(fatal.message);
  }
}

interface GroupState {
  name: string;
  templates: TemplateState[];
  wait: WaitConfig;
  quiescence: Quiescence;
  queued: boolean;
}

function queryFactory(options: RunnerOptions, onReject: RejectListener): QueryFactory {
  if (options.query) return options.query;
  const consul = options.consul;
  if (!consul) throw new ConfigError('the runner needs a Consul client (or a query factory)');
  return feedQueryFactory(consul, onReject, { logger: options.logger, waitSeconds: options.config.consul.waitSeconds, backoff: options.backoff, maxStaleMs: options.config.consul.maxStaleMs });
}

export class Runner extends EventEmitter<RunnerEvents & { fatal: [fatal: RunnerFatal] }> {
  readonly metrics: RendererMetrics;
  readonly pool: WatcherPool;
  /** Counts for tests and benchmarks. */
  readonly stats: RunnerStats = { renders: 0, batches: 0, validations: 0, reloads: 0, failedBatches: 0, pushes: 0, failedPushes: 0, restores: 0, pushesAhead: 0 };
  private readonly config: RendererConfig;
  private readonly logger: Logger;
  private readonly engineFor: EngineSelector;
  private readonly reportsBook: TemplateReports;
  private readonly states: TemplateState[];
  private readonly groups = new Map<string, GroupState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly rejected = new Set<string>();
  /** Dependencies whose last answer was malformed (their templates report it). */
  private readonly badData = new Set<string>();
  /** One queue for all groups: batches never overlap, which is the lock the swap-in validation relies on. */
  private readonly batches = new SerialQueue();
  private started = false;
  private stopped = false;
  /** Set once a template error stopped the runner (errorFatal); nothing renders after it. */
  fatal?: RunnerFatal;
  private settledListeners: (() => void)[] = [];
  /** Aborted by stop(): a running validate or reload command's process group is killed and reaped. */
  private readonly stopping = new AbortController();

  /** The push secret's path (CONSUL_SIDECARS_PUSH_SECRET_FILE), given to templates so nginx reads the same file. */
  private readonly pushSecretFile: string;

  constructor(private readonly options: RunnerOptions) {
    super();
    this.config = options.config;
    this.logger = options.logger ?? silentLogger();
    armCrashPoint(process.env, CRASH_POINT_NAMES);
    this.pushSecretFile = process.env[PUSH_SECRET_FILE_ENV] ?? '';
    this.metrics = options.metrics ?? createRendererMetrics();
    this.engineFor = options.engines ?? defaultEngines({ env: options.env, onReject: (what, value, context) => this.onReject(what, value, context) });
    this.reportsBook = new TemplateReports(this.metrics, (report) => this.emit('template', report));
    this.pool = new WatcherPool({
      query: queryFactory(options, (what, value, context) => this.onReject(what, value, context)),
      logger: this.logger,
      waitSeconds: this.config.consul.waitSeconds,
      backoff: options.backoff ?? { maxMs: this.config.consul.retryMaxMs },
    });
    this.pool.on('change', (key) => {
      this.metrics.consulReachable.set(this.consulReachable() ? 1 : 0);
      this.pushAhead(key);
      this.onDependencyChange(key);
    });
    this.pool.on('error', (key, err) => {
      this.metrics.consulErrors.inc();
      this.metrics.consulReachable.set(this.consulReachable() ? 1 : 0);
      // A malformed answer is the templates' error: render them so their reports say it.
      if (isDataError(errorCodeOf(err)) && !this.badData.has(key)) {
        this.badData.add(key);
        this.onDependencyChange(key);
      }
    });
    this.pool.on('recovered', (key) => {
      this.metrics.consulReachable.set(this.consulReachable() ? 1 : 0);
      // Readable again: render, so the error's report clears even when the data itself did not change.
      if (this.badData.delete(key)) this.onDependencyChange(key);
    });

    this.states = this.config.templates.map((config) => {
      const { text, name } = templateText(config);
      return newTemplateState(config, this.engineFor(config).compile(text, name));
    });
    const pushContext = { logger: this.logger, metrics: this.metrics, stats: this.stats, reports: this.reportsBook };
    for (const state of this.states) if (state.config.upstreamPush) state.pusher = createPusher(state, state.config.upstreamPush, pushContext);
    const byGroup = new Map<string, TemplateState[]>();
    for (const s of this.states) byGroup.set(s.config.group, [...(byGroup.get(s.config.group) ?? []), s]);
    for (const [name, templates] of byGroup) {
      const wait = groupWait(templates.map((t) => t.config), this.config.wait);
      const group: GroupState = { name, templates, wait, queued: false, quiescence: new Quiescence(wait, () => this.queueGroup(group)) };
      this.groups.set(name, group);
    }
  }

  /** Renders every template once now; later renders follow Consul changes. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.logger.info({ templates: this.states.length, groups: this.groups.size, dryRun: this.config.dryRun }, 'renderer starting');
    if (!this.config.dryRun && !this.config.once) for (const s of this.states) s.pusher?.start();
    if (!this.config.dryRun) void this.batches.run(() => recoverJournals(this.config.templates, { logger: this.logger, fileOps: this.options.fileOps, run: this.options.run }));
    for (const group of this.groups.values()) this.queueGroup(group);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const group of this.groups.values()) group.quiescence.cancel();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.stopping.abort();
    await this.batches.idle();
    await Promise.all(this.states.map((s) => s.pusher?.stop()));
    await this.pool.stopAll();
  }

  /** Resolves when no batch is queued or running (tests, benchmarks). */
  async whenIdle(): Promise<void> {
    while (this.batches.size > 0) await this.batches.idle();
  }

  reports(): TemplateReport[] {
    return this.states.map((s) => ({ ...s.report }));
  }

  health(): HealthReport {
    const reachable = this.consulReachable();
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
        if (this.fatal || onceSettled(this.states.map((s) => s.status), [...this.groups.values()].map((g) => g.queued))) done();
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
        state.compiled = this.engineFor(state.config).compile(text, name);
        state.knownBad = undefined;
        state.luaCheck = undefined;
      } catch (err) {
        this.logger.error({ template: state.config.destination, err: errorMessage(err) }, 'template did not compile; keeping the previous version');
      }
    }
    for (const group of this.groups.values()) this.queueGroup(group);
  }

  /** Consul answers: no watch failing, or only with data errors (a malformed answer, an unknown datacenter). */
  private consulReachable(): boolean {
    return this.pool.failing(this.pool.keys()).every(({ err }) => isDataError(errorCodeOf(err)));
  }

  private onReject(what: string, value: unknown, context: string): void {
    const id = `${what}:${String(value)}:${context}`;
    if (this.rejected.has(id)) return;
    this.rejected.add(id);
    this.metrics.rejectedValues.inc({ what });
    this.logger.warn({ what, value, context }, `${what} dropped: it would break the config syntax`);
  }

  /**
   * No-reload mode: a changed answer that the last live render pushed straight into some upstream goes to nginx
   * now, ahead of the render that follows (plan/push-ahead.ts decides); in the batch queue, so it never overlaps
   * a batch, and the render's own push then sends only what still differs.
   */
  private pushAhead(key: string): void {
    if (this.config.dryRun || this.config.once || this.stopped) return;
    for (const group of this.groups.values()) {
      for (const state of group.templates) {
        const dep = state.used.get(key);
        const pusher = state.pusher;
        if (!pusher || !state.pushAhead || !dep) continue;
        const answer = this.pool.lookup(dep);
        const source = [...state.pushAhead.sources.values()].find((s) => s.key === key);
        if (!answer.ready || !source || !Array.isArray(answer.data)) continue;
        const instances = source.view(answer.data as ServiceInstance[]);
        const plan = planPushAhead({ memory: state.pushAhead, status: state.status, key, instances: instances.length, wait: group.wait, guard: state.config.guard, lastGoodInstances: state.lastGoodInstances, dropSeenSince: state.dropSeenSince, now: Date.now() });
        if (plan.kind !== 'push') continue;
        state.pushAhead = plan.memory;
        const peers = this.peersOf({ upstreams: new Map(plan.upstreams.map((u) => [u, instances])) }, state.config.destination);
        void this.batches.run(async () => {
          if (this.stopped) return;
          const outcome = await pusher.update(peers);
          if (outcome.ok && outcome.set.length > 0) this.stats.pushesAhead++;
          if (outcome.set.length > 0) this.logger.debug({ template: state.config.destination, set: outcome.set, ok: outcome.ok, error: outcome.error }, 'upstreams pushed ahead of the render');
        });
      }
    }
  }

  private onDependencyChange(key: string): void {
    for (const group of this.groups.values()) {
      if (!group.templates.some((t) => t.used.has(key))) continue;
      const when = onDependencyChange({ once: this.config.once, everyTemplateDone: group.templates.every((t) => t.firstDone) });
      if (when === 'render-now') this.queueGroup(group);
      else group.quiescence.tick();
    }
  }

  private queueGroup(group: GroupState): void {
    if (this.stopped || group.queued) return;
    group.queued = true;
    void this.batches.run(async () => {
      group.queued = false;
      try {
        if (!this.stopped) await this.processGroup(group);
      } catch (err) {
        if (err instanceof TemplateFatalError) return this.failFatally(err.fatal);
        this.logger.error({ group: group.name, err: errorMessage(err) }, 'batch failed unexpectedly; will retry on the next change');
      } finally {
        for (const listener of this.settledListeners) listener();
      }
    });
  }

  /** consul-template's error_fatal: the pass is abandoned (its group writes nothing) and no pass follows. */
  private failFatally(fatal: RunnerFatal): void {
    if (this.fatal) return;
    this.fatal = fatal;
    this.stopped = true;
    for (const group of this.groups.values()) group.quiescence.cancel();
    this.logger.fatal({ template: fatal.template, destination: fatal.destination, err: fatal.message }, 'template error with error_fatal: stopping');
    this.emit('fatal', fatal);
  }

  private async processGroup(group: GroupState): Promise<void> {
    const written = await this.renderPlanAct(group);
    this.emit('pass', {
      group: group.name,
      templates: group.templates.map((s) => ({
        destination: s.config.destination,
        result: written.has(s.config.destination) ? 'written' : s.status === 'ok' ? 'unchanged' : 'pending',
      })),
    });
  }

  /** One pass over a group; answers the destinations whose new bytes went live (or were printed, --dry-run). */
  private async renderPlanAct(group: GroupState): Promise<Set<string>> {
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
    for (const key of this.badData) if (!keep.has(key)) this.badData.delete(key);
    this.metrics.watchers.set(this.pool.size);
    if (writes.length === 0 && pushes.length === 0) return new Set();

    if (this.config.dryRun) {
      for (const w of writes) this.printDryRun(w);
      for (const p of pushes) (this.options.out ?? process.stdout).write(dryRunPushText(p.state.config.destination, p.peers));
      return new Set(writes.map((w) => w.state.config.destination));
    }
    const pushContext = { logger: this.logger, metrics: this.metrics, stats: this.stats, reports: this.reportsBook };
    const early = new Map<TemplateState, PushOutcome>();
    const writing = new Set(writes.map((w) => w.state));
    for (const p of pushes) {
      if (!p.state.pusher || !pushBeforeWrite(writing.has(p.state), p.state.pusher.reached)) continue;
      early.set(p.state, await p.state.pusher.apply(p.peers, { prune: false }));
    }
    const results = writes.length > 0 ? await this.applyWrites(group, writes) : {};
    for (const p of pushes) {
      if (!p.state.pusher) continue;
      const fileResult = results[p.state.config.destination] ?? p.fileResult;
      // Cheap when the early push went through: only what is still missing (or to prune) is sent.
      const outcome = await p.state.pusher.apply(p.peers, pushAfterWrite(fileResult));
      const first = early.get(p.state);
      recordPush(p, { ...outcome, set: [...new Set([...(first?.set ?? []), ...outcome.set])] }, fileResult, pushContext);
    }
    return new Set(Object.entries(results).filter(([, r]) => r === 'ok').map(([d]) => d));
  }

  private async renderAndPlan(state: TemplateState, group: GroupState): Promise<{ write?: PlannedWrite; push?: PlannedPush }> {
    const destination = state.config.destination;
    this.stats.renders++;
    state.pushAhead = undefined;
    const outcome = state.compiled.render(this.pool, { vars: state.config.vars, destination, guard: state.config.guard, rendererLuaDir: LUA_DIR, pushSecretFile: this.pushSecretFile });
    state.used = outcome.used;
    const hasPusher = state.pusher !== undefined;
    const early = planRendered({
      name: state.compiled.name,
      failing: dataFailures(this.pool.failing(outcome.used.keys())),
      missing: [...outcome.missing, ...outcome.blockedOn],
      error: outcome.error?.message,
      pushesUpstreams: outcome.upstreams.size > 0,
      hasPusher,
      memory: state,
    });
    if (early) return this.record(state, group, outcome, early);
    const luaError = await this.luaCheck(state);
    const previous = await readFileState(destination);
    const step = planTemplate({
      output: outcome.output,
      instances: outcome.instances,
      usesServices: outcome.usesServices,
      hasPusher,
      luaError,
      onDisk: previous.content?.toString('utf8') ?? null,
      dryRun: this.config.dryRun,
      memory: state,
      now: Date.now(),
      guard: state.config.guard,
    });
    return this.record(state, group, outcome, step, previous);
  }

  private record(state: TemplateState, group: GroupState, outcome: RenderOutcome, step: TemplateStep, previous?: FileState): { write?: PlannedWrite; push?: PlannedPush } {
    const recorded = recordStep(state, step, outcome, previous, {
      logger: this.logger.child({ template: state.config.destination, group: group.name }),
      metrics: this.metrics,
      reports: this.reportsBook,
      peersOf: (o) => this.peersOf(o, state.config.destination),
    });
    if (recorded.push && outcome.upstreamSources && outcome.instancesByKey) {
      state.pushAhead = { sources: outcome.upstreamSources, instancesByKey: outcome.instancesByKey, instances: outcome.instances };
    }
    if (recorded.recheckAfterMs !== undefined) this.recheckLater(group, recorded.recheckAfterMs);
    // With all its data there, the template itself failed (consul-template's Execute error).
    if (step.kind === 'error' && step.cause === 'render' && state.config.errorFatal) {
      throw new TemplateFatalError({ destination: state.config.destination, template: state.compiled.name, message: outcome.error?.message ?? step.reason });
    }
    return recorded;
  }

  /** A sudden drop is held: render the group again once it may have persisted long enough. */
  private recheckLater(group: GroupState, afterMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queueGroup(group);
    }, afterMs);
    this.timers.add(timer);
  }

  private luaCheck(state: TemplateState): Promise<string> {
    const push = state.config.upstreamPush;
    if (!push?.checkLua || this.config.dryRun) return Promise.resolve('');
    state.luaCheck ??= checkLuaModule({ nginx: push.nginx, luaDir: LUA_DIR, modules: push.luaModules }).then((r) => (r.ok ? '' : r.output || 'the Lua check failed'));
    return state.luaCheck;
  }

  private peersOf(outcome: Pick<RenderOutcome, 'upstreams'>, destination: string): Map<string, UpstreamPeer[]> {
    const peers = new Map<string, UpstreamPeer[]>();
    for (const [name, instances] of outcome.upstreams) {
      peers.set(name, peersFromInstances(instances, (instance, reason) => this.onReject('address', instance.Address, `${destination}: ${name}/${instance.ID}: ${reason}`)));
    }
    return peers;
  }

  private printDryRun(write: PlannedWrite): void {
    (this.options.out ?? process.stdout).write(dryRunWriteText(write.state.config.destination, write.plan.reason, write.outcome.output));
    write.state.lastPrinted = write.outcome.output;
    this.metrics.renders.inc({ template: write.state.config.destination, result: 'dry-run' });
    this.reportsBook.good(write.state, write.outcome.instances, 'dry-run');
  }

  private async applyWrites(group: GroupState, writes: PlannedWrite[]): Promise<Record<string, string>> {
    const outcome = await writeBatch(group.name, writes, { logger: this.logger, metrics: this.metrics, stats: this.stats, reports: this.reportsBook, fileOps: this.options.fileOps, run: this.options.run, signal: this.stopping.signal });
    this.emit('batch', { group: group.name, destinations: writes.map((w) => w.state.config.destination), outcome });
    return outcome.results;
  }
}
