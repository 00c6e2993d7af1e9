// The first scaling backend: docker-compose runs (`up --scale`) and the Docker API (list by compose labels, remove by id).

import type { Logger } from 'pino';
import type { ScaleResult, ScalingBackend, ServiceContainer } from '../scaling-backend';
import { listComposeContainers, removeContainers } from './compose-containers';
import { ComposeRunner } from './compose-runner';
import type { ComposeTarget } from './compose-target';

export interface ComposeBackendOptions {
  /** Runs docker-compose (default: `docker-compose` on PATH). */
  runner?: ComposeRunner;
  logger?: Logger;
  /** Tests may wrap the Docker side. */
  listContainers?: (target: ComposeTarget) => Promise<ServiceContainer[]>;
  removeContainers?: (target: ComposeTarget, ids: readonly string[]) => Promise<void>;
}

/** How many trailing lines of compose's stderr go into a report and an alert. */
const OUTPUT_LINES = 3;

export class ComposeBackend implements ScalingBackend<ComposeTarget> {
  readonly kind = 'compose';
  readonly runner: ComposeRunner;
  private readonly list: NonNullable<ComposeBackendOptions['listContainers']>;
  private readonly removeByIds: NonNullable<ComposeBackendOptions['removeContainers']>;

  constructor(options: ComposeBackendOptions = {}) {
    this.runner = options.runner ?? new ComposeRunner({ logger: options.logger });
    this.list = options.listContainers ?? listComposeContainers;
    this.removeByIds = options.removeContainers ?? removeContainers;
  }

  observe(target: ComposeTarget): Promise<ServiceContainer[]> {
    return this.list(target);
  }

  remove(target: ComposeTarget, ids: readonly string[]): Promise<void> {
    return this.removeByIds(target, ids);
  }

  async scale(target: ComposeTarget, total: number, options: { timeoutMs: number }): Promise<ScaleResult> {
    const result = await this.runner.scale(target, total, options.timeoutMs);
    if (result.ok) return { ok: true };
    const output = result.stderr.trim().split('\n').slice(-OUTPUT_LINES).join(' | ');
    return {
      ok: false,
      failure: result.failure ?? 'compose-error',
      deterministic: result.deterministic,
      output,
      message: output || `exit ${result.exitCode}`,
    };
  }

  describeScale(target: ComposeTarget, total: number): string {
    return `docker-compose -p ${target.composeProject} up --scale ${target.composeService}=${total}`;
  }
}
