// Observes the registry side: follows the agent's services (hash-blocking where supported) and notices an agent that went away or lost them.

import type { Logger } from 'pino';
import { backoffDelay, errorMessage, sleep } from '@consul-sidecars/core';
import type { RegistryAdapter } from '../act/registry-adapter';
import type { RegistratorMetrics } from '../metrics';
import type { AgentView } from './agent-view';
import { errorKind } from '../errors';

export interface AgentFollowerOptions {
  /** Minimum gap between two reads of the agent's services. */
  pollMs: number;
  /** Blocking wait for the hash-based read. */
  wait: string;
  logger: Logger;
  metrics?: RegistratorMetrics;
}

/** What the follower needs from the loop that owns the view. */
export interface FollowerHooks {
  /** False until the first full reconcile: before it, answers are not planned against. */
  ready(): boolean;
  /** Runs fn exclusively with every other pass (the reconciler's lock). */
  exclusive(fn: () => Promise<void>): Promise<void>;
  /** Whether any desired service has checks (then the agent's checks are read too). */
  needsChecks(): boolean;
  /** The view was refreshed from the agent: reconcile against it. */
  changed(): Promise<void>;
}

export class AgentFollower {
  reachable = true;

  constructor(private readonly registry: RegistryAdapter, private readonly view: AgentView, private readonly options: AgentFollowerOptions) {}

  setReachable(value: boolean): void {
    this.reachable = value;
    this.options.metrics?.consulReachable.set(value ? 1 : 0);
  }

  /** One plain read of services (and checks, when wanted; else none are compared) into the view. */
  async read(withChecks: boolean): Promise<void> {
    const answer = await this.registry.services();
    this.view.services = answer.services;
    this.view.checks = withChecks ? await this.registry.checks() : new Map();
    this.setReachable(true);
  }

  /** Follows the agent until `signal` aborts: each changed answer replaces the view and is reconciled; outages back off. */
  async follow(signal: AbortSignal, hooks: FollowerHooks): Promise<void> {
    const log = this.options.logger;
    let hash: string | undefined;
    let errors = 0;
    let lastRead = 0;
    while (!signal.aborted) {
      try {
        const gap = this.options.pollMs - (Date.now() - lastRead);
        if (gap > 0) await sleep(gap, signal);
        lastRead = Date.now();
        const epoch = this.view.writeEpoch;
        const answer = await this.registry.services({ hash, wait: hash ? this.options.wait : undefined, signal });
        if (errors > 0 || !this.reachable) {
          log.info({ after: errors }, 'consul agent reachable again; reconciling');
          hash = undefined;
        }
        errors = 0;
        this.setReachable(true);
        if (!hooks.ready()) continue;
        await hooks.exclusive(async () => {
          if (epoch !== this.view.writeEpoch || signal.aborted) {
            hash = undefined; // we wrote meanwhile: the answer may predate our write
            return;
          }
          hash = answer.hash;
          this.view.services = answer.services;
          if (hooks.needsChecks()) this.view.checks = await this.registry.checks(signal);
          await hooks.changed();
        });
      } catch (err) {
        if (signal.aborted) break;
        errors++;
        hash = undefined;
        this.setReachable(false);
        this.options.metrics?.errors.inc({ kind: errorKind(err) });
        const delay = backoffDelay(errors, { baseMs: 250, maxMs: 5000 });
        log.warn({ err: errorMessage(err), attempt: errors, retryInMs: delay }, 'consul agent unreachable; keeping the wanted state');
        try {
          await sleep(delay, signal);
        } catch {
          break;
        }
      }
    }
  }
}
